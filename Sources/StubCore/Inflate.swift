/// DEFLATE (RFC 1951) and the gzip container (RFC 1952) as the kernel's payload carries them. Heap-free: the
/// Huffman lookup tables live in a caller-provided workspace of `Inflate.workspaceSize` bytes. Every read and
/// write is guarded, so corrupt input is an error in the stub as on the host.
public enum Inflate {
    /// Two full lookup tables of 2^15 UInt16 entries (literal/length and distance) plus the code-length table.
    public static let workspaceSize = (2 * 32768 + 128) * 2

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
        guard CRC32.zlib(UnsafeRawBufferPointer(rebasing: output[0..<written])) == crc else { throw .checksum }
        return written
    }

    /// Decodes a raw DEFLATE stream; returns the bytes written.
    public static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                               workspace: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
    {
        guard workspace.count >= workspaceSize else { throw .outputOverflow }
        let tables = workspace.bindMemory(to: UInt16.self)
        let literalTable = UnsafeMutableBufferPointer(rebasing: tables[0..<32768])
        let distanceTable = UnsafeMutableBufferPointer(rebasing: tables[32768..<65536])
        let lengthsTable = UnsafeMutableBufferPointer(rebasing: tables[65536..<65536 + 128])
        var bits = BitReader(input)
        var o = 0
        var last = false
        repeat {
            reportProgress(input, bits.position, output, o)
            last = try bits.read(1) == 1
            switch try bits.read(2) {
            case 0:  // stored
                bits.alignToByte()
                let length = Int(try bits.read(16)), complement = Int(try bits.read(16))
                guard length == ~complement & 0xFFFF else { throw .badHeader }
                guard length <= output.count - o else { throw .outputOverflow }
                try bits.copyBytes(length, to: output.baseAddress! + o)
                o += length
            case 1:  // fixed Huffman codes
                var lengths = InlineArray<320, UInt8>(repeating: 0)
                for i in 0..<144 { lengths[i] = 8 }
                for i in 144..<256 { lengths[i] = 9 }
                for i in 256..<280 { lengths[i] = 7 }
                for i in 280..<288 { lengths[i] = 8 }
                for i in 288..<320 { lengths[i] = 5 }
                let literalBits = try build(literalTable, lengths, 0, 288)
                let distanceBits = try build(distanceTable, lengths, 288, 30)
                o = try decodeBlock(&bits, output, o, literalTable, literalBits, distanceTable, distanceBits)
            case 2:  // dynamic Huffman codes
                let literals = Int(try bits.read(5)) + 257, distances = Int(try bits.read(5)) + 1
                let codeLengthCount = Int(try bits.read(4)) + 4
                guard literals <= 286, distances <= 30 else { throw .badHeader }
                var lengths = InlineArray<320, UInt8>(repeating: 0)
                let order: InlineArray<19, UInt8> = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                for i in 0..<codeLengthCount { lengths[Int(order[i])] = UInt8(try bits.read(3)) }
                let lengthBits = try build(lengthsTable, lengths, 0, 19)
                var codeLengths = InlineArray<320, UInt8>(repeating: 0)
                var n = 0
                while n < literals + distances {
                    let symbol = try decodeSymbol(&bits, lengthsTable, lengthBits)
                    switch symbol {
                    case 0..<16:
                        codeLengths[n] = UInt8(symbol)
                        n += 1
                    case 16:
                        guard n > 0 else { throw .badHeader }
                        let repeated = codeLengths[n - 1], count = 3 + Int(try bits.read(2))
                        guard n + count <= literals + distances else { throw .badHeader }
                        for _ in 0..<count { codeLengths[n] = repeated; n += 1 }
                    default:
                        let count = symbol == 17 ? 3 + Int(try bits.read(3)) : 11 + Int(try bits.read(7))
                        guard n + count <= literals + distances else { throw .badHeader }
                        n += count  // already zero
                    }
                }
                guard codeLengths[256] != 0 else { throw .badHeader }  // no end-of-block code
                let literalBits = try build(literalTable, codeLengths, 0, literals)
                let distanceBits = try build(distanceTable, codeLengths, literals, distances)
                o = try decodeBlock(&bits, output, o, literalTable, literalBits, distanceTable, distanceBits)
            default:
                throw .badHeader
            }
        } while !last
        return o
    }

    static let lengthBase: InlineArray<29, UInt16> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43,
                                                        51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: InlineArray<29, UInt8> = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4,
                                                        4, 4, 5, 5, 5, 5, 0]
    static let distanceBase: InlineArray<30, UInt16> = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257,
                                                          385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193,
                                                          12289, 16385, 24577]
    static let distanceExtra: InlineArray<30, UInt8> = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9,
                                                          9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func decodeBlock(_ bits: inout BitReader, _ output: UnsafeMutableRawBufferPointer, _ start: Int,
                            _ literalTable: UnsafeMutableBufferPointer<UInt16>, _ literalBits: Int,
                            _ distanceTable: UnsafeMutableBufferPointer<UInt16>, _ distanceBits: Int)
        throws(DecodeError) -> Int
    {
        var o = start
        let out = output.baseAddress!
        while true {
            reportProgress(bits.input, bits.position, output, o)
            let symbol = try decodeSymbol(&bits, literalTable, literalBits)
            if symbol < 256 {
                guard o < output.count else { throw .outputOverflow }
                out.storeBytes(of: UInt8(symbol), toByteOffset: o, as: UInt8.self)
                o += 1
            } else if symbol == 256 {
                return o
            } else {
                let index = symbol - 257
                guard index < 29 else { throw .badHeader }
                let length = Int(lengthBase[index]) + Int(try bits.read(Int(lengthExtra[index])))
                let code = try decodeSymbol(&bits, distanceTable, distanceBits)
                guard code < 30 else { throw .badHeader }
                let distance = Int(distanceBase[code]) + Int(try bits.read(Int(distanceExtra[code])))
                guard distance <= o else { throw .badOffset }
                guard length <= output.count - o else { throw .outputOverflow }
                LZ4.copyMatch(out, from: o - distance, to: o, count: length)
                o += length
            }
        }
    }

    /// Fills a full lookup table for the canonical code with `lengths[first ..< first + count]`: the entry at the
    /// bit-reversed code (and every entry sharing its low bits) holds symbol << 4 | length. Returns the table's
    /// index width (the longest code).
    static func build(_ table: UnsafeMutableBufferPointer<UInt16>, _ lengths: InlineArray<320, UInt8>, _ first: Int,
                      _ count: Int) throws(DecodeError) -> Int
    {
        var counts = InlineArray<16, UInt16>(repeating: 0)
        var longest = 0
        for i in 0..<count {
            let length = Int(lengths[first + i])
            counts[length] += 1
            longest = max(longest, length)
        }
        counts[0] = 0
        // Over-subscribed codes are invalid; incomplete ones are allowed (a single distance code is common).
        var left = 1
        for length in 1...15 {
            left = left * 2 - Int(counts[length])
            guard left >= 0 else { throw .badHeader }
        }
        var next = InlineArray<16, UInt16>(repeating: 0)
        var code: UInt16 = 0
        for length in 1...15 {
            code = (code + counts[length - 1]) << 1
            next[length] = code
        }
        let width = max(longest, 1)
        let size = 1 << width
        for i in 0..<size { table[i] = 0 }  // length 0: an invalid code
        for symbol in 0..<count {
            let length = Int(lengths[first + symbol])
            guard length > 0 else { continue }
            let assigned = next[length]
            next[length] += 1
            var reversed = 0
            for b in 0..<length where assigned & (1 << UInt16(length - 1 - b)) != 0 { reversed |= 1 << b }
            var index = reversed
            while index < size {
                table[index] = UInt16(symbol << 4 | length)
                index += 1 << length
            }
        }
        return width
    }

    @inline(__always)
    static func decodeSymbol(_ bits: inout BitReader, _ table: UnsafeMutableBufferPointer<UInt16>, _ width: Int)
        throws(DecodeError) -> Int
    {
        let entry = table[Int(bits.peek(width))]
        let length = Int(entry & 15)
        guard length > 0, length <= bits.available else { throw length == 0 ? .badHeader : .truncated }
        bits.consume(length)
        return Int(entry >> 4)
    }
}

/// Least-significant-bit-first reader over the input, as DEFLATE packs its bits.
struct BitReader {
    let input: UnsafeRawBufferPointer
    var position = 0
    var buffer: UInt64 = 0
    var available = 0

    init(_ input: UnsafeRawBufferPointer) { self.input = input }

    @inline(__always)
    mutating func refill() {
        while available <= 56 && position < input.count {
            buffer |= UInt64(input[position]) << UInt64(available)
            position += 1
            available += 8
        }
    }

    /// The next `count` bits without consuming them (zeros past the end of the input).
    @inline(__always)
    mutating func peek(_ count: Int) -> UInt64 {
        if available < count { refill() }
        return buffer & ((1 << UInt64(count)) - 1)
    }

    @inline(__always)
    mutating func consume(_ count: Int) {
        buffer >>= UInt64(count)
        available -= count
    }

    @inline(__always)
    mutating func read(_ count: Int) throws(DecodeError) -> UInt64 {
        guard count > 0 else { return 0 }
        let value = peek(count)
        guard available >= count else { throw .truncated }
        consume(count)
        return value
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
        guard rest <= input.count - position else { throw .truncated }
        if rest > 0 { (target + copied).copyMemory(from: input.baseAddress! + position, byteCount: rest) }
        position += rest
    }
}

/// CRC-32 as gzip and zlib compute it (reflected 0xEDB88320, inverted in and out), table-free so it needs no
/// storage in the stub.
public enum CRC32 {
    public static func zlib(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return ~crc
    }
}
