/// DEFLATE (RFC 1951) and the gzip container (RFC 1952) as the kernel's payload carries them. Heap-free: the
/// Huffman lookup tables (InflateTables.swift), then the CRC-32 table, live in a caller-provided workspace of
/// `Inflate.workspaceSize` bytes. Every read and write is guarded, so corrupt input is an error in the stub as on
/// the host. Decoding may write up to `overshoot` bytes past the bytes it returns, inside `output`.
public enum Inflate {
    /// The three lookup tables (4-byte entries) and a block's code lengths; the CRC-32 table (8 KiB) reuses the
    /// space after decoding.
    public static let workspaceSize = (literalTableSize + distanceTableSize + codeLengthTableSize) * 4 + lengthsSize
    /// The literal/length and distance code lengths (up to 286 + 30, or the fixed code's 288 + 32), then the
    /// code-length code's 19.
    static let lengthsSize = 320 + 24

    /// Bytes past its end a fast-loop match copy may write (16 bytes a step).
    static let overshoot = 32
    /// Output a fast-loop step may write from below its limit: two literals and a 258-byte match.
    static let stretchOvershoot = 2 + 258
    /// The fast loop needs this much output room past its limit...
    static let fastOutputMargin = stretchOvershoot + overshoot
    /// ...and this much input past what its symbols take: the bits the buffer holds ahead and a refill's
    /// 8-byte load (18 bytes at most).
    static let fastInputMargin = 32
    /// Output bytes between two progress reports in the fast loop (the in-place contract needs that much slack).
    static let reportInterval = 4096

    /// Decodes a gzip member (the kernel's: any flags, deflate method) into `output`; checks CRC-32 and ISIZE.
    public static func gunzip(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                              workspace: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
    {
        guard input.count >= 18 else { throw .truncated }
        guard input[0] == 0x1F, input[1] == 0x8B, input[2] == 8 else { throw .badHeader }
        let flags = input[3]
        var at = 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard input.count - at >= 2 else { throw .truncated }
            at += 2 + (Int(input[at]) | Int(input[at + 1]) << 8)
        }
        func skipString() throws(DecodeError) {  // FNAME, FCOMMENT: zero-terminated
            while true {
                guard at < input.count else { throw .truncated }
                at += 1
                if input[at - 1] == 0 { return }
            }
        }
        if flags & 0x08 != 0 { try skipString() }
        if flags & 0x10 != 0 { try skipString() }
        if flags & 0x02 != 0 { at += 2 }  // FHCRC
        guard at <= input.count - 8 else { throw .truncated }
        let written = try inflate(UnsafeRawBufferPointer(rebasing: input[at..<input.count - 8]), into: output,
                                  workspace: workspace)
        let crc = readLE32(input, input.count - 8), size = readLE32(input, input.count - 4)
        guard UInt32(truncatingIfNeeded: written) == size else { throw .sizeMismatch }
        let decoded = UnsafeRawBufferPointer(rebasing: output[0..<written])
        guard CRC32.zlib(decoded, table: workspace) == crc else { throw .checksum }
        return written
    }

    /// The lookup tables and the code lengths, carved from the workspace.
    struct Tables {
        let literal, distance, codeLength: UnsafeMutablePointer<UInt32>
        let lengths: UnsafeMutablePointer<UInt8>
    }

    /// Decodes a raw DEFLATE stream; returns the bytes written.
    public static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                               workspace: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
    {
        guard workspace.count >= workspaceSize, let space = workspace.baseAddress else { throw .outputOverflow }
        guard input.baseAddress != nil else { throw .truncated }
        let entries = space.bindMemory(to: UInt32.self, capacity: workspaceSize / 4)
        let lengths = UnsafeMutableRawPointer(entries + literalTableSize + distanceTableSize + codeLengthTableSize)
        let tables = Tables(literal: entries, distance: entries + literalTableSize,
                            codeLength: entries + literalTableSize + distanceTableSize,
                            lengths: lengths.bindMemory(to: UInt8.self, capacity: lengthsSize))
        var bits = DeflateBits(input)
        var o = 0
        var last = false
        repeat {
            reportProgress(input, bits.position, output, reportedEnd(o, output))
            last = try bits.read(1) == 1
            switch try bits.read(2) {
            case 0:
                o = try copyStored(&bits, output, o)
            case 1:
                for i in 0..<320 {  // 288 literal/length codes, then the 32 distance codes
                    tables.lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : i < 288 ? 8 : 5
                }
                try buildTables(tables, literals: 288, distances: 32)
                o = try decodeBlock(&bits, output, o, tables)
            case 2:
                try readDynamicTables(&bits, tables)
                o = try decodeBlock(&bits, output, o, tables)
            default:
                throw .badHeader
            }
        } while !last
        reportProgress(input, bits.position, output, reportedEnd(o, output))
        return o
    }

    /// The written end a progress report gives: past `o`, the fast loop's copies may have written `overshoot`.
    @inline(__always)
    static func reportedEnd(_ o: Int, _ output: UnsafeMutableRawBufferPointer) -> Int {
        min(o, output.count - overshoot) + overshoot
    }

    static func copyStored(_ bits: inout DeflateBits, _ output: UnsafeMutableRawBufferPointer, _ o: Int)
        throws(DecodeError) -> Int
    {
        bits.alignToByte()
        let length = try bits.read(16), complement = try bits.read(16)
        guard length == ~complement & 0xFFFF else { throw .badHeader }
        guard length <= output.count - o else { throw .outputOverflow }
        if length > 0 { try bits.copyBytes(length, to: output.baseAddress! + o) }
        return o + length
    }

    /// The literal/length and distance tables from `tables.lengths`.
    static func buildTables(_ tables: Tables, literals: Int, distances: Int) throws(DecodeError) {
        guard tables.lengths[256] != 0 else { throw .badHeader }  // no end-of-block code
        try build(tables.literal, capacity: literalTableSize, rootBits: literalRootBits, .literalLength,
                  tables.lengths, count: literals)
        try build(tables.distance, capacity: distanceTableSize, rootBits: distanceRootBits, .distance,
                  tables.lengths + literals, count: distances)
    }

    /// A dynamic block's header: the code-length code, then the literal/length and distance code lengths in it.
    static func readDynamicTables(_ bits: inout DeflateBits, _ tables: Tables) throws(DecodeError) {
        let literals = try bits.read(5) + 257, distances = try bits.read(5) + 1
        let codeLengthCount = try bits.read(4) + 4
        guard literals <= 286, distances <= 30 else { throw .badHeader }
        let order: InlineArray<19, UInt8> = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        let codeLengthLengths = tables.lengths + 320
        for i in 0..<19 { codeLengthLengths[i] = 0 }
        for i in 0..<codeLengthCount { codeLengthLengths[Int(order[i])] = UInt8(try bits.read(3)) }
        try build(tables.codeLength, capacity: codeLengthTableSize, rootBits: codeLengthRootBits, .codeLength,
                  codeLengthLengths, count: 19)
        let codeLengths = tables.lengths
        let total = literals + distances
        for i in 0..<total { codeLengths[i] = 0 }
        var n = 0
        while n < total {
            let symbol = Int(try bits.decode(tables.codeLength, rootBits: codeLengthRootBits) >> 16)
            switch symbol {
            case 0..<16:
                codeLengths[n] = UInt8(symbol)
                n += 1
            case 16:
                guard n > 0 else { throw .badHeader }
                let repeated = codeLengths[n - 1], count = 3 + (try bits.read(2))
                guard n + count <= total else { throw .badHeader }
                for _ in 0..<count { codeLengths[n] = repeated; n += 1 }
            default:
                let count = symbol == 17 ? 3 + (try bits.read(3)) : 11 + (try bits.read(7))
                guard n + count <= total else { throw .badHeader }
                n += count  // already zero
            }
        }
        try buildTables(tables, literals: literals, distances: distances)
    }

    /// Decodes one Huffman block's symbols: the fast loop in stretches of at most `reportInterval` output bytes
    /// with a progress report before each, the careful step near the ends of the input and the output.
    static func decodeBlock(_ bits: inout DeflateBits, _ output: UnsafeMutableRawBufferPointer, _ start: Int,
                            _ tables: Tables) throws(DecodeError) -> Int
    {
        var o = start
        let out = output.baseAddress ?? UnsafeMutableRawPointer(mutating: bits.base)  // never written if empty
        while true {
            reportProgress(bits.input, bits.position, output, reportedEnd(o, output))
            // A symbol takes at most 16 input bits per output byte (a 48-bit match makes 3 or more), so a stretch
            // ending `stretchOvershoot` bytes past its limit reads below the end of the input when it starts
            // this far from it.
            let inputStretch = (bits.count - bits.position - fastInputMargin) / 2 - stretchOvershoot
            let stretch = min(min(output.count - o - fastOutputMargin, reportInterval), inputStretch)
            if stretch > 0 {
                if try decodeFast(&bits, out, &o, below: o + stretch, tables) { return o }
            } else {
                if try decodeCarefully(&bits, out, output.count, &o, tables) { return o }
            }
        }
    }

    /// Symbols while `o < limit`. No bounds checks: the caller left room for the last step's output (and
    /// overshoot) past `limit`, and input for the 8-byte refills of all of them. The next symbol's entry is looked
    /// up before a match is copied, so a mispredicted copy loop does not discard that work. Returns true at the
    /// end of the block.
    @inline(never)  // its own function, so its state stays in registers
    static func decodeFast(_ bits: inout DeflateBits, _ out: UnsafeMutableRawPointer, _ o: inout Int,
                           below limit: Int, _ tables: Tables) throws(DecodeError) -> Bool
    {
        var fast = FastBits(buffer: bits.buffer, available: UInt8(bits.available), from: bits.base + bits.position)
        var to = out + o
        let end = out + limit
        defer {
            bits.buffer = fast.buffer
            bits.available = Int(fast.available)
            bits.position = fast.from - bits.base
            o = to - out
        }
        let literals = UnsafePointer(tables.literal), distances = UnsafePointer(tables.distance)
        fast.refill()
        var entry = fast.next(literals)
        while true {
            // Up to three literals per refill (15 bits each at most).
            if entry & Entry.literal != 0 {
                fast.literal(entry, &to)
                entry = fast.next(literals)
                if entry & Entry.literal != 0 {
                    fast.literal(entry, &to)
                    entry = fast.next(literals)
                    if entry & Entry.literal != 0 {
                        fast.literal(entry, &to)
                        fast.refill()
                        entry = fast.next(literals)
                        if to >= end { return false }
                        continue
                    }
                }
            }
            guard entry & Entry.match != 0 else {
                guard entry & Entry.end != 0 else { throw .badHeader }
                _ = fast.take(entry)
                return true
            }
            let length = fast.take(entry)
            if fast.available < 28 { fast.refill() }  // a distance code and its extra bits take up to 28
            let code = lookup(distances, fast.buffer, rootBits: UInt64(distanceRootBits))
            guard code & Entry.match != 0 else { throw .badHeader }
            let distance = fast.take(code)
            guard distance <= to - out else { throw .badOffset }
            fast.refill()
            entry = fast.next(literals)
            copyMatch(to, distance: distance, length: length)
            to += length
            if to >= end { return false }
        }
    }

    /// The fast loop's bit reader: refills load 8 bytes the caller guarantees.
    struct FastBits {
        var buffer: UInt64
        var available: UInt8  // a byte: one-instruction updates
        var from: UnsafeRawPointer

        /// To 56 or more bits.
        @inline(__always)
        mutating func refill() {
            buffer |= from.loadUnaligned(as: UInt64.self).littleEndian &<< UInt64(available)
            from += Int(truncatingIfNeeded: (63 &- available) &>> 3)
            available |= 56
        }

        @inline(__always)
        func next(_ literals: UnsafePointer<UInt32>) -> UInt32 {
            lookup(literals, buffer, rootBits: UInt64(literalRootBits))
        }

        /// Consumes the entry's code and extra bits; returns its value plus the extra bits.
        @inline(__always)
        mutating func take(_ entry: UInt32) -> Int {
            let saved = buffer
            buffer &>>= UInt64(entry)  // a shift uses the low 6 bits
            available &-= UInt8(truncatingIfNeeded: entry)  // bits 6 and 7 are clear
            let extra = (saved & ~(UInt64.max &<< UInt64(entry))) &>> UInt64((entry >> 8) & 15)
            return Int(entry >> 16) &+ Int(truncatingIfNeeded: extra)
        }

        @inline(__always)
        mutating func literal(_ entry: UInt32, _ to: inout UnsafeMutableRawPointer) {
            buffer &>>= UInt64(entry)
            available &-= UInt8(truncatingIfNeeded: entry)
            to.storeBytes(of: UInt8(truncatingIfNeeded: entry >> 16), as: UInt8.self)
            to += 1
        }
    }

    /// Copies a match in 8-byte words, 32 bytes a round, which may write up to `overshoot - 1` bytes past its
    /// end. A word copy is right when the distance is at least 8: each word's source is final before it is
    /// loaded. Distance 1 repeats a byte; 2 to 7 (common: 4-byte patterns) repeat with a period of the distance,
    /// so after a few bytes copied one by one the rest copies as words from a multiple of it that is 8 or more.
    @inline(__always)
    static func copyMatch(_ target: UnsafeMutableRawPointer, distance: Int, length: Int) {
        var to = target
        let end = target + length
        if distance >= 8 {
            if length > 64 && distance >= length {  // long and apart: the library's copy
                target.copyMemory(from: target - distance, byteCount: length)
                return
            }
            copyWords(&to, end, distance: distance)
        } else if distance == 1 {
            let byte = target.load(fromByteOffset: -1, as: UInt8.self)
            if length > 64 {
                target.initializeMemory(as: UInt8.self, repeating: byte, count: length)
                return
            }
            let word = UInt64(byte) &* 0x0101_0101_0101_0101
            repeat {
                to.storeBytes(of: word, as: UInt64.self)
                (to + 8).storeBytes(of: word, as: UInt64.self)
                to += 16
            } while to < end
        } else {
            let period = distance >= 4 ? distance << 1 : distance == 3 ? 9 : 8
            let bytewise = target + (period - distance)  // from there the bytes `period` back are final
            repeat {
                to.storeBytes(of: to.load(fromByteOffset: -distance, as: UInt8.self), as: UInt8.self)
                to += 1
            } while to < bytewise
            if to < end { copyWords(&to, end, distance: period) }
        }
    }

    @inline(__always)
    static func copyWords(_ to: inout UnsafeMutableRawPointer, _ end: UnsafeMutableRawPointer, distance: Int) {
        var from = UnsafeRawPointer(to - distance)
        repeat {  // most matches are short: one round, and its loop test predictable
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            (to + 8).storeBytes(of: (from + 8).loadUnaligned(as: UInt64.self), as: UInt64.self)
            (to + 16).storeBytes(of: (from + 16).loadUnaligned(as: UInt64.self), as: UInt64.self)
            (to + 24).storeBytes(of: (from + 24).loadUnaligned(as: UInt64.self), as: UInt64.self)
            from += 32
            to += 32
        } while to < end
    }

    static func extraBits(_ entry: UInt32) -> Int { Int(entry & 63) - Int(entry >> 8 & 15) }

    /// One symbol with every check, near the ends of the input or the output. Returns true at the end of the block.
    static func decodeCarefully(_ bits: inout DeflateBits, _ out: UnsafeMutableRawPointer, _ size: Int,
                                _ o: inout Int, _ tables: Tables) throws(DecodeError) -> Bool
    {
        let entry = try bits.decode(tables.literal, rootBits: literalRootBits)
        if entry & Entry.literal != 0 {
            guard o < size else { throw .outputOverflow }
            out.storeBytes(of: UInt8(truncatingIfNeeded: entry >> 16), toByteOffset: o, as: UInt8.self)
            o += 1
            return false
        }
        if entry & Entry.end != 0 { return true }
        let length = Int(entry >> 16) + (try bits.read(extraBits(entry)))
        let code = try bits.decode(tables.distance, rootBits: distanceRootBits)
        let distance = Int(code >> 16) + (try bits.read(extraBits(code)))
        guard distance <= o else { throw .badOffset }
        guard length <= size - o else { throw .outputOverflow }
        for k in 0..<length {
            out.storeBytes(of: out.load(fromByteOffset: o - distance + k, as: UInt8.self), toByteOffset: o + k,
                           as: UInt8.self)
        }
        o += length
        return false
    }
}

/// Least-significant-bit-first reader over the input, as DEFLATE packs its bits. `buffer` holds `available`
/// bits not yet consumed; the bits above them are zero or, after the fast loop's 8-byte refills, the very input
/// bits that follow, which the next refill ORs in again.
struct DeflateBits {
    let input: UnsafeRawBufferPointer
    let base: UnsafeRawPointer
    let count: Int
    /// The next input byte not yet counted in `available`.
    var position = 0
    var buffer: UInt64 = 0
    var available = 0

    /// `input` must have a base address.
    init(_ input: UnsafeRawBufferPointer) {
        self.input = input
        base = input.baseAddress!
        count = input.count
    }

    /// 56 or more bits (and at most 63, as the fast loop's refill needs), or all that are left; a byte at a
    /// time, never past the input.
    @inline(never)  // the header and careful paths only: kept out of line, small
    mutating func refill() {
        while available < 56 && position < count {
            buffer |= UInt64(base.load(fromByteOffset: position, as: UInt8.self)) << UInt64(available)
            position += 1
            available += 8
        }
    }

    @inline(__always)
    mutating func consume(_ count: Int) {
        buffer >>= UInt64(count)
        available -= count
    }

    /// The next `count` (at most 32) bits as a number.
    @inline(never)
    mutating func read(_ count: Int) throws(DecodeError) -> Int {
        if available < count {
            refill()
            guard available >= count else { throw .truncated }
        }
        let value = Int(truncatingIfNeeded: buffer & ((1 << UInt64(count)) - 1))
        consume(count)
        return value
    }

    /// The next code in `table` (its entry; its extra bits not yet read).
    mutating func decode(_ table: UnsafePointer<UInt32>, rootBits: Int) throws(DecodeError) -> UInt32 {
        refill()
        let entry = Inflate.lookup(table, buffer, rootBits: UInt64(rootBits))
        guard entry & Inflate.Entry.kinds != 0 else { throw .badHeader }  // no such code
        let length = Int(entry >> 8 & 15)
        guard length <= available else { throw .truncated }
        consume(length)
        return entry
    }

    mutating func alignToByte() { consume(available % 8) }

    /// Copies whole bytes (after `alignToByte`): first those still in the bit buffer, then straight from the input.
    mutating func copyBytes(_ count: Int, to target: UnsafeMutableRawPointer) throws(DecodeError) {
        var copied = 0
        while copied < count && available >= 8 {
            target.storeBytes(of: UInt8(truncatingIfNeeded: buffer), toByteOffset: copied, as: UInt8.self)
            consume(8)
            copied += 1
        }
        let rest = count - copied
        guard rest <= self.count - position else { throw .truncated }
        guard rest > 0 else { return }
        (target + copied).copyMemory(from: base + position, byteCount: rest)
        position += rest
        buffer = 0  // what it held past `available` were the bytes just copied
    }
}
