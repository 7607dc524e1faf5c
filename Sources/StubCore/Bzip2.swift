/// bzip2 as the kernel's payload carries it: one stream (`BZh1`–`BZh9`), its blocks (Huffman-coded MTF/RLE2 symbols
/// of a Burrows–Wheeler transform of RLE1-coded data), each block's CRC and the stream's combined CRC verified.
/// Heap-free: the inverse-BWT vector (4 bytes per block byte, 3.6 MB for 900 k blocks) and the tables live in a
/// caller-provided workspace of `Bzip2.workspaceSize` bytes, within the kernel's 4 MiB BOOT_HEAP for bzip2. Every
/// read and write is guarded, so corrupt input is an error in the stub as on the host. Randomised blocks (written
/// only by bzip2 0.9.0 and older) are rejected.
public enum Bzip2 {
    static let maxBlock = 900_000
    static let maxGroups = 6
    static let maxAlpha = 258
    static let maxCodeLength = 20
    static let maxSelectors = 18_002
    /// Per Huffman group: first code, count and perm offset per length (1...20), then the shortest and longest length.
    static let groupStride = 68

    // Workspace layout, in bytes.
    static let ttOffset = 0
    static let crcTableOffset = ttOffset + maxBlock * 4
    static let countsOffset = crcTableOffset + 256 * 4  // 256 UInt32: byte counts, then cumulative
    static let groupsOffset = countsOffset + 256 * 4  // maxGroups × groupStride Int32
    static let permOffset = groupsOffset + maxGroups * groupStride * 4  // maxGroups × 260 UInt16
    static let selectorsOffset = permOffset + maxGroups * 260 * 2
    static let mtfOffset = selectorsOffset + 18_008
    static let unseqOffset = mtfOffset + 256
    static let lengthsOffset = unseqOffset + 256

    public static let workspaceSize = lengthsOffset + 264

    /// Decodes the first bzip2 stream of `input` into `output`; returns the bytes written.
    public static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                              workspace: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
    {
        guard workspace.count >= workspaceSize, let base = workspace.baseAddress else { throw .outputOverflow }
        var decoder = Decoder(
            bits: MSBBitReader(input), output: output,
            tt: (base + ttOffset).bindMemory(to: UInt32.self, capacity: maxBlock),
            crcTable: (base + crcTableOffset).bindMemory(to: UInt32.self, capacity: 256),
            counts: (base + countsOffset).bindMemory(to: UInt32.self, capacity: 256),
            groups: (base + groupsOffset).bindMemory(to: Int32.self, capacity: maxGroups * groupStride),
            perm: (base + permOffset).bindMemory(to: UInt16.self, capacity: maxGroups * 260),
            selectors: (base + selectorsOffset).bindMemory(to: UInt8.self, capacity: maxSelectors),
            mtf: (base + mtfOffset).bindMemory(to: UInt8.self, capacity: 256),
            unseq: (base + unseqOffset).bindMemory(to: UInt8.self, capacity: 256),
            lengths: (base + lengthsOffset).bindMemory(to: UInt8.self, capacity: maxAlpha))
        return try decoder.stream()
    }

    /// bzip2's CRC-32: the non-reflected polynomial 0x04C11DB7, inverted in and out.
    static func fillCRCTable(_ table: UnsafeMutablePointer<UInt32>) {
        for i in 0..<256 {
            var crc = UInt32(i) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
            table[i] = crc
        }
    }

    struct Decoder {
        var bits: MSBBitReader
        let output: UnsafeMutableRawBufferPointer
        let tt: UnsafeMutablePointer<UInt32>
        let crcTable: UnsafeMutablePointer<UInt32>
        let counts: UnsafeMutablePointer<UInt32>
        let groups: UnsafeMutablePointer<Int32>
        let perm: UnsafeMutablePointer<UInt16>
        let selectors: UnsafeMutablePointer<UInt8>
        let mtf: UnsafeMutablePointer<UInt8>
        let unseq: UnsafeMutablePointer<UInt8>
        let lengths: UnsafeMutablePointer<UInt8>
        var written = 0
        var blockLimit = 0

        mutating func stream() throws(DecodeError) -> Int {
            guard try bits.read(8) == 0x42, try bits.read(8) == 0x5A, try bits.read(8) == 0x68 else { throw .badHeader }
            let level = Int(try bits.read(8)) - 0x30
            guard level >= 1 && level <= 9 else { throw .badHeader }
            blockLimit = level * 100_000
            fillCRCTable(crcTable)
            var combined: UInt32 = 0
            while true {
                reportProgress(bits.input, bits.position, output, written)
                let high = try bits.read(24), low = try bits.read(24)
                if high == 0x314159 && low == 0x265359 {
                    let stored = UInt32(try bits.read(32))
                    let crc = try block()
                    guard crc == stored else { throw .checksum }
                    combined = (combined << 1 | combined >> 31) ^ crc
                } else if high == 0x177245 && low == 0x385090 {
                    guard UInt32(try bits.read(32)) == combined else { throw .checksum }
                    return written  // what follows (another stream, padding, the size trailer) is not ours
                } else {
                    throw .badHeader
                }
            }
        }

        /// One block, from the randomised bit to its last symbol, decoded into the output; returns its CRC.
        mutating func block() throws(DecodeError) -> UInt32 {
            guard try bits.read(1) == 0 else { throw .badHeader }  // randomised: not supported
            let origin = Int(try bits.read(24))

            // The symbol map: which of 16 ranges of 16 byte values are used, then which bytes in each.
            var inUse = 0
            let ranges = Int(try bits.read(16))
            for range in 0..<16 where ranges & (0x8000 >> range) != 0 {
                let used = Int(try bits.read(16))
                for j in 0..<16 where used & (0x8000 >> j) != 0 {
                    unseq[inUse] = UInt8(range * 16 + j)
                    inUse += 1
                }
            }
            guard inUse > 0 else { throw .badHeader }
            let alphaSize = inUse + 2

            // The Huffman tables and, per 50 symbols, which one codes them (MTF-coded unary indices).
            let groupCount = Int(try bits.read(3))
            guard groupCount >= 2 && groupCount <= maxGroups else { throw .badHeader }
            let selectorCount = Int(try bits.read(15))
            guard selectorCount >= 1 else { throw .badHeader }
            var order = InlineArray<6, UInt8>(repeating: 0)
            for g in 0..<maxGroups { order[g] = UInt8(g) }
            for s in 0..<selectorCount {
                var index = 0
                while try bits.read(1) == 1 {
                    index += 1
                    guard index < groupCount else { throw .badHeader }
                }
                let group = order[index]
                while index > 0 { order[index] = order[index - 1]; index -= 1 }
                order[0] = group
                if s < maxSelectors { selectors[s] = group }  // bzip2 1.0.8 ignores any beyond 18 002
            }
            let usableSelectors = min(selectorCount, maxSelectors)

            for g in 0..<groupCount {
                var length = Int(try bits.read(5))
                for symbol in 0..<alphaSize {
                    while true {
                        guard length >= 1 && length <= maxCodeLength else { throw .badHeader }
                        if try bits.read(1) == 0 { break }
                        length += try bits.read(1) == 0 ? 1 : -1
                    }
                    lengths[symbol] = UInt8(length)
                }
                buildTable(g, alphaSize)
            }

            // MTF and RLE2 (RUNA/RUNB runs of the front byte) into tt's low bytes, counting each byte.
            for i in 0..<256 { mtf[i] = UInt8(i); counts[i] = 0 }
            let endOfBlock = inUse + 1
            var count = 0, group = -1, left = 0
            var run = 0, weight = 1
            var table = groups, symbols = perm
            while true {
                if left == 0 {
                    group += 1
                    guard group < usableSelectors else { throw .badHeader }
                    let selected = Int(selectors[group])
                    table = groups + selected * groupStride
                    symbols = perm + selected * 260
                    left = 50
                }
                left -= 1
                let symbol = try decodeSymbol(table, symbols)
                if symbol <= 1 {  // RUNA, RUNB: the run length's bijective base-2 digits, lowest first
                    guard weight <= 1 << 20 else { throw .badHeader }
                    run += weight << symbol
                    weight <<= 1
                    continue
                }
                if run > 0 {
                    guard run <= blockLimit - count else { throw .badHeader }
                    let byte = unseq[Int(mtf[0])]
                    counts[Int(byte)] += UInt32(run)
                    for k in count..<count + run { tt[k] = UInt32(byte) }
                    count += run
                    run = 0
                    weight = 1
                }
                if symbol == endOfBlock { break }
                guard symbol < endOfBlock, count < blockLimit else { throw .badHeader }
                var index = symbol - 1  // 1 ... inUse − 1
                let front = mtf[index]
                while index > 0 { mtf[index] = mtf[index - 1]; index -= 1 }
                mtf[0] = front
                let byte = unseq[Int(front)]
                counts[Int(byte)] += 1
                tt[count] = UInt32(byte)
                count += 1
            }
            guard origin < count else { throw .badHeader }

            // Inverse BWT: link each position to its successor in the upper 24 bits of tt.
            var sum: UInt32 = 0
            for i in 0..<256 {
                let c = counts[i]
                counts[i] = sum
                sum += c
            }
            for i in 0..<count {
                let byte = Int(tt[i] & 0xFF)
                let target = Int(counts[byte])
                guard target < count else { throw .badHeader }  // cannot happen: the counts sum to `count`
                tt[target] |= UInt32(i) << 8
                counts[byte] += 1
            }

            // Walk the chain and undo RLE1 (4 equal bytes, then a count of more) into the output, with the CRC.
            reportProgress(bits.input, bits.position, output, written)
            let out = output.baseAddress
            var crc: UInt32 = 0xFFFF_FFFF
            var o = written
            var position = Int(tt[origin] >> 8)
            var last = -1, repeats = 0
            for _ in 0..<count {
                guard position < count else { throw .badHeader }
                let entry = tt[position]
                position = Int(entry >> 8)
                let byte = Int(entry & 0xFF)
                if repeats == 4 {
                    guard byte <= output.count - o else { throw .outputOverflow }
                    for _ in 0..<byte {
                        out!.storeBytes(of: UInt8(last), toByteOffset: o, as: UInt8.self)
                        crc = (crc << 8) ^ crcTable[Int((crc >> 24) ^ UInt32(last))]
                        o += 1
                    }
                    repeats = 0
                } else {
                    guard o < output.count else { throw .outputOverflow }
                    out!.storeBytes(of: UInt8(byte), toByteOffset: o, as: UInt8.self)
                    crc = (crc << 8) ^ crcTable[Int((crc >> 24) ^ UInt32(byte))]
                    o += 1
                    if byte == last {
                        repeats += 1
                    } else {
                        last = byte
                        repeats = 1
                    }
                }
            }
            written = o
            return ~crc
        }

        /// Canonical code tables for group `g` from `lengths[0..<alphaSize]` (each 1...20): per length the first
        /// code, the number of codes and where their symbols start in the group's perm, symbols in length order.
        mutating func buildTable(_ g: Int, _ alphaSize: Int) {
            let table = groups + g * groupStride
            let symbols = perm + g * 260
            var shortest = maxCodeLength, longest = 1
            for i in 0..<alphaSize {
                shortest = min(shortest, Int(lengths[i]))
                longest = max(longest, Int(lengths[i]))
            }
            var at = 0, code = 0
            for length in 1...maxCodeLength {
                var n = 0
                for i in 0..<alphaSize where Int(lengths[i]) == length {
                    symbols[at + n] = UInt16(i)
                    n += 1
                }
                table[length] = Int32(code)  // first code
                table[21 + length] = Int32(n)  // count
                table[42 + length] = Int32(at)  // offset in perm
                at += n
                code = (code + n) << 1
            }
            table[63] = Int32(shortest)
            table[64] = Int32(longest)
        }

        @inline(__always)
        mutating func decodeSymbol(_ table: UnsafeMutablePointer<Int32>, _ symbols: UnsafeMutablePointer<UInt16>)
            throws(DecodeError) -> Int
        {
            let peeked = Int(bits.peek(maxCodeLength))
            var length = Int(table[63])
            let longest = Int(table[64])
            while length <= longest {
                let offset = (peeked >> (maxCodeLength - length)) - Int(table[length])
                if offset >= 0 && offset < Int(table[21 + length]) {
                    guard length <= bits.available else { throw .truncated }
                    bits.consume(length)
                    return Int(symbols[Int(table[42 + length]) + offset])
                }
                length += 1
            }
            throw .badHeader
        }
    }
}

/// Most-significant-bit-first reader over the input, as bzip2 packs its bits.
struct MSBBitReader {
    let input: UnsafeRawBufferPointer
    var position = 0
    /// The next `available` bits are the low bits of `buffer`, the first one highest.
    var buffer: UInt64 = 0
    var available = 0

    init(_ input: UnsafeRawBufferPointer) { self.input = input }

    @inline(__always)
    mutating func refill() {
        while available <= 56 && position < input.count {
            buffer = buffer << 8 | UInt64(input[position])
            position += 1
            available += 8
        }
    }

    /// The next `count` (≤ 32) bits without consuming them (zeros past the end of the input).
    @inline(__always)
    mutating func peek(_ count: Int) -> UInt64 {
        if available < count { refill() }
        let mask: UInt64 = (1 << UInt64(count)) - 1
        if available >= count { return (buffer >> UInt64(available - count)) & mask }
        return (buffer << UInt64(count - available)) & mask
    }

    @inline(__always)
    mutating func consume(_ count: Int) { available -= count }

    @inline(__always)
    mutating func read(_ count: Int) throws(DecodeError) -> UInt64 {
        let value = peek(count)
        guard available >= count else { throw .truncated }
        consume(count)
        return value
    }
}
