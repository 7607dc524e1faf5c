/// DEFLATE's Huffman lookup tables. A table is indexed by the next `rootBits` input bits (least significant first,
/// as DEFLATE packs codes bit-reversed); codes longer than that continue in a subtable the root entry points to,
/// indexed by the bits after the root's. Small roots keep the build cheap: a kernel payload has hundreds of blocks.
extension Inflate {
    static let literalRootBits = 11, distanceRootBits = 8, codeLengthRootBits = 7

    /// Table capacities in entries. A subtable of depth d holds a complete subtree, so at least d + 1 codes;
    /// d <= 15 - root gives at most 16 entries per 5 codes for the literal/length root (921 for 288 codes) and
    /// 128 per 8 for the distance root (480 for 30 codes). `build` also checks.
    static let literalTableSize = 2048 + 922, distanceTableSize = 256 + 512, codeLengthTableSize = 128

    /// One entry: bits 0-5 the bits it takes (the code's length plus its extra bits: a shift by the whole entry
    /// consumes them), 8-11 the code's length (a pointer's index bits), 12-15 the kind, 16-31 the value
    /// (literal byte, base length or distance, code-length symbol, subtable start). No kind bit: no code (an
    /// incomplete code's gap, or symbols 286, 287, 30, 31).
    enum Entry {
        static let literal: UInt32 = 0x1000, match: UInt32 = 0x2000, end: UInt32 = 0x4000, subtable: UInt32 = 0x8000
        static let kinds: UInt32 = 0xF000

        @inline(__always)
        static func make(_ kind: UInt32, _ value: Int, extra: Int, length: Int) -> UInt32 {
            UInt32(value) << 16 | kind | UInt32(length) << 8 | UInt32(length + extra)
        }

        static func pointer(to start: Int, indexBits: Int) -> UInt32 {
            UInt32(start) << 16 | subtable | UInt32(indexBits) << 8
        }
    }

    /// What a table's symbols stand for.
    enum Alphabet { case literalLength, distance, codeLength }

    static let lengthBase: InlineArray<29, UInt16> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43,
                                                        51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: InlineArray<29, UInt8> = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4,
                                                        4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: InlineArray<30, UInt16> = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257,
                                                          385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193,
                                                          12289, 16385, 24577]
    static let distanceExtra: InlineArray<30, UInt8> = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9,
                                                          9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func entry(_ alphabet: Alphabet, _ symbol: Int, length: Int) -> UInt32 {
        switch alphabet {
        case .codeLength:
            return Entry.make(Entry.literal, symbol, extra: 0, length: length)
        case .literalLength:
            if symbol < 256 { return Entry.make(Entry.literal, symbol, extra: 0, length: length) }
            if symbol == 256 { return Entry.make(Entry.end, 0, extra: 0, length: length) }
            guard symbol < 286 else { return 0 }
            return Entry.make(Entry.match, Int(lengthBase[symbol - 257]), extra: Int(lengthExtra[symbol - 257]),
                              length: length)
        case .distance:
            guard symbol < 30 else { return 0 }
            return Entry.make(Entry.match, Int(distanceBase[symbol]), extra: Int(distanceExtra[symbol]), length: length)
        }
    }

    /// Builds the table for the canonical code with `lengths[0 ..< count]` into `table` (`capacity` entries).
    /// Over-subscribed codes are invalid; incomplete ones only as zlib allows them: no code at all or a single
    /// one-bit code (a block with one distance), whose gap stays an invalid entry.
    static func build(_ table: UnsafeMutablePointer<UInt32>, capacity: Int, rootBits: Int, _ alphabet: Alphabet,
                      _ lengths: UnsafePointer<UInt8>, count: Int) throws(DecodeError)
    {
        var counts = InlineArray<16, Int>(repeating: 0)
        for i in 0..<count { counts[Int(lengths[i] & 15)] &+= 1 }  // lengths are 0 to 15: the mask spares a check
        counts[0] = 0
        var left = 1, codes = 0
        for length in 1...15 {
            left = left * 2 - counts[length]
            guard left >= 0 else { throw .badHeader }
            codes += counts[length]
        }
        if left > 0 {
            guard codes == 0 || (codes == 1 && counts[1] == 1) else { throw .badHeader }
        }
        // The symbols in canonical order: by code length, then by symbol.
        var offsets = InlineArray<16, Int>(repeating: 0)
        for length in 1..<15 { offsets[length + 1] = offsets[length] &+ counts[length] }
        var sorted = InlineArray<288, UInt16>(repeating: 0)
        for symbol in 0..<count where lengths[symbol] != 0 {
            let length = Int(lengths[symbol] & 15)
            sorted[offsets[length]] = UInt16(truncatingIfNeeded: symbol)
            offsets[length] &+= 1
        }
        // Codes up to the root's length: each is placed once in a table the size of its own code space, which
        // doubles (copying itself: the shorter codes repeat) on the way to the root's size. Gaps stay the first
        // entry's 0, no code.
        var code = 0, i = 0
        table[0] = 0
        for length in 1...rootBits {
            let half = 1 &<< (length &- 1)
            for index in 0..<half { table[half &+ index] = table[index] }
            while i < codes && Int(lengths[Int(sorted[i])]) == length {
                table[reversed(code, length)] = entry(alphabet, Int(sorted[i]), length: length)
                code &+= 1
                i &+= 1
            }
            code &<<= 1
        }
        // Longer codes: in subtables the root entries of their first `rootBits` bits point to.
        var subtablePrefix = -1, subtableStart = 0, subtableBits = 0, used = 1 &<< rootBits
        for length in rootBits + 1...15 {
            let low = length &- rootBits
            while i < codes && Int(lengths[Int(sorted[i])]) == length {
                let prefix = reversed(code &>> low, rootBits)
                if prefix != subtablePrefix {
                    subtableBits = subtableDepth(counts, from: length, rootBits: rootBits)
                    guard used &+ (1 &<< subtableBits) <= capacity else { throw .badHeader }
                    table[prefix] = Entry.pointer(to: used, indexBits: subtableBits)
                    subtablePrefix = prefix
                    subtableStart = used
                    used &+= 1 &<< subtableBits
                }
                fill(table + subtableStart, from: reversed(code & ((1 &<< low) &- 1), low), step: 1 &<< low,
                     below: 1 &<< subtableBits, entry(alphabet, Int(sorted[i]), length: length))
                counts[length] &-= 1  // now the codes of this length still to place
                code &+= 1
                i &+= 1
            }
            code &<<= 1
        }
    }

    /// The index bits of a subtable whose first code has `length` bits: the codes still to place come shortest
    /// first, so the subtable is full at the first depth where they cover it.
    static func subtableDepth(_ remaining: InlineArray<16, Int>, from length: Int, rootBits: Int) -> Int {
        var bits = length &- rootBits, room = 1 &<< bits
        while true {
            room &-= remaining[rootBits &+ bits]
            if room <= 0 || rootBits &+ bits == 15 { return bits }
            bits &+= 1
            room &<<= 1
        }
    }

    static func fill(_ table: UnsafeMutablePointer<UInt32>, from start: Int, step: Int, below end: Int,
                     _ value: UInt32)
    {
        var index = start
        while index < end {
            table[index] = value
            index &+= step
        }
    }

    /// The low `length` bits of `code`, reversed.
    static func reversed(_ code: Int, _ length: Int) -> Int {
        var v = UInt16(truncatingIfNeeded: code)
        v = (v & 0x5555) << 1 | (v >> 1) & 0x5555
        v = (v & 0x3333) << 2 | (v >> 2) & 0x3333
        v = (v & 0x0F0F) << 4 | (v >> 4) & 0x0F0F
        v = v << 8 | v >> 8
        return Int(v &>> (16 &- length))
    }

    /// The entry for the input bits at the bottom of `bits`, following a subtable pointer.
    @inline(__always)
    static func lookup(_ table: UnsafePointer<UInt32>, _ bits: UInt64, rootBits: UInt64) -> UInt32 {
        let entry = table[Int(truncatingIfNeeded: bits & ((1 &<< rootBits) &- 1))]
        guard entry & Entry.subtable != 0 else { return entry }
        let index = (bits &>> rootBits) & ((1 &<< UInt64((entry >> 8) & 15)) &- 1)
        return table[Int(entry >> 16) &+ Int(truncatingIfNeeded: index)]
    }
}
