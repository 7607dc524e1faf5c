import Compressors
import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct InflateTests {
    /// gzip through the harness: exactly `size` bytes of output, guard bytes after it.
    static func gunzip(_ payload: [UInt8], size: Int, sourceLocation: SourceLocation = #_sourceLocation)
        throws(DecodeError) -> [UInt8]
    {
        try DecoderHarness.decode(payload, as: .gzip, size: size, sourceLocation: sourceLocation)
    }

    /// Raw DEFLATE through the harness.
    static func inflate(_ stream: [UInt8], size: Int, sourceLocation: SourceLocation = #_sourceLocation)
        throws(DecodeError) -> [UInt8]
    {
        try DecoderHarness.decode(stream, size: size, workspaceSize: Inflate.workspaceSize,
                                  sourceLocation: sourceLocation) { input, output, workspace throws(DecodeError) in
            try Inflate.inflate(input, into: output, workspace: workspace)
        }
    }

    /// The Debian 6.1 `vmlinux.bin ++ relocs` through GNU gzip -9 (the kernel's command) and through our gzip
    /// (libdeflate), decoded by StubCore.
    @Test func decodesKernelPayloadsFromGzipAndLibdeflate() throws {
        let (input, packed) = try DecoderHarness.kernelPayload(compressedBy: "gzip -n -9")
        #expect(try Self.gunzip(packed, size: input.count) == input)
        let ours = try input.withUnsafeBytes { try Payload.compress($0, with: .gzip, options: .init(threads: 2)) }
        #expect(try Self.gunzip(ours, size: input.count) == input)
    }

    @Test func gzipLevelsOnAssortedData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // gzip -1 on incompressible data gives stored blocks; tiny inputs give fixed-code blocks.
        var generator = SeededGenerator(seed: 4)
        let cases: [[UInt8]] = [[], [7], Array("hello hello hello hello".utf8),
                                (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) },
                                [UInt8](repeating: 0, count: 1 << 20),
                                (0..<300_000).map { UInt8(truncatingIfNeeded: $0 % 7 == 0 ? $0 : $0 / 3) },
                                syntheticKernelLikeData(count: 500_000, seed: 3)]
        for (index, data) in cases.enumerated() {
            try Data(data).write(to: URL(fileURLWithPath: dir.file("in\(index)")))
            for level in ["-1", "-6", "-9"] {
                #expect(try shell("gzip -c \(level) < \(dir.file("in\(index)")) > \(dir.file("out.gz"))") == 0)
                #expect(try Self.gunzip(try Fixtures.bytes(dir.file("out.gz")), size: data.count) == data,
                        "case \(index) \(level)")
            }
        }
    }

    /// Stored blocks (empty ones too) between Huffman blocks: the bit buffer's look-ahead must not survive the
    /// bytes a stored block copies straight from the input.
    @Test func storedBlocks() throws {
        var generator = SeededGenerator(seed: 21)
        var writer = DeflateWriter()
        var expected: [UInt8] = []
        for round in 0..<6 {
            let bytes = (0..<[0, 1, 5, 1000, 65535, 3][round]).map { _ in UInt8.random(in: 0...255, using: &generator) }
            writer.stored(bytes)
            expected += bytes
            writer.fixed([.literal(UInt8(round)), .match(length: 3, distance: 1)])
            expected += [UInt8](repeating: UInt8(round), count: 4)
        }
        writer.stored([9, 9], last: true)
        expected += [9, 9]
        #expect(try Self.inflate(writer.bytes, size: expected.count) == expected)
        #expect(throws: DecodeError.self) { try Self.inflate(writer.bytes, size: expected.count - 1) }
    }

    /// Fixed codes: the longest match at distance 1, at the farthest distance 32768, every short distance
    /// (overlapping copies), and lengths around the copy loop's word steps.
    @Test func fixedHuffmanMatches() throws {
        var generator = SeededGenerator(seed: 22)
        var writer = DeflateWriter()
        let window = (0..<32768).map { _ in UInt8.random(in: 0...255, using: &generator) }
        writer.stored(window)
        var symbols: [DeflateWriter.Symbol] = [.literal(0x41), .match(length: 258, distance: 1),
                                               .match(length: 258, distance: 32768), .match(length: 3, distance: 32768)]
        for distance in 1...40 {
            for length in [3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 66, 100, 257, 258] {
                symbols.append(.match(length: length, distance: distance))
                symbols.append(.literal(UInt8(truncatingIfNeeded: length)))
            }
        }
        writer.fixed(symbols, last: true)
        let expected = DeflateWriter.apply(symbols, to: window)
        #expect(try Self.inflate(writer.bytes, size: expected.count) == expected)  // ending at the output's end
        #expect(try Self.inflate(writer.bytes, size: expected.count + 5000) == expected)
    }

    /// A dynamic block whose literal/length and distance codes reach the maximum 15 bits (code lengths 1, 2,
    /// ..., 15, 15), every symbol used: the 11-bit and 8-bit roots continue in subtables.
    @Test func fifteenBitCodes() throws {
        var literalLengths = [Int](repeating: 0, count: 286)
        let chainSymbols = [65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 257, 258, 265, 284, 256, 285]
        for (index, symbol) in chainSymbols.enumerated() { literalLengths[symbol] = min(index + 1, 15) }
        var distanceLengths = [Int](repeating: 0, count: 30)
        let distanceSymbols = [0] + (0..<15).map { 2 * $0 + 1 }  // 0, 1, 3, 5, ..., 29
        for (index, symbol) in distanceSymbols.enumerated() { distanceLengths[symbol] = min(index + 1, 15) }
        let letters: [DeflateWriter.Symbol] = (65...74).map { .literal(UInt8($0)) }
        // 25 KiB of output first, so the farthest of these distances (24577) reaches back into it.
        var symbols = letters + [DeflateWriter.Symbol](repeating: .match(length: 258, distance: 1), count: 100)
        for round in 0..<200 {
            symbols += letters
            symbols.append(.match(length: [3, 4, 11, 227, 258][round % 5],
                                  distance: DeflateWriter.distanceBase[distanceSymbols[round % 16]]))
        }
        var writer = DeflateWriter()
        writer.dynamic(symbols, literalLengths: literalLengths, distanceLengths: distanceLengths, last: true)
        let expected = DeflateWriter.apply(symbols, to: [])
        #expect(try Self.inflate(writer.bytes, size: expected.count) == expected)
    }

    /// Over-subscribed codes, an incomplete code beyond a single one-bit code, a match before the output's
    /// start, symbols 286 and 287 of the fixed code, distance codes 30 and 31: errors, in the careful steps
    /// near the input's end and in the fast loop (followed by plenty of input).
    @Test func invalidCodesAreErrors() throws {
        let padding = [UInt8](repeating: 0, count: 2000)
        var writer = DeflateWriter()
        writer.fixed([.literal(1), .match(length: 3, distance: 2)], last: true)
        for tail in [[], padding] {
            #expect(throws: DecodeError.badOffset) { try Self.inflate(writer.bytes + tail, size: 100_000) }
        }
        for symbol in [286, 287] {
            var bad = DeflateWriter()
            bad.bits(1, 1); bad.bits(1, 2)
            bad.code(0xC0 + symbol - 280, 8)
            for tail in [[0, 0], padding] {
                #expect(throws: DecodeError.badHeader) { try Self.inflate(bad.bytes + tail, size: 100_000) }
            }
        }
        for code in [30, 31] {
            var bad = DeflateWriter()
            bad.bits(1, 1); bad.bits(1, 2)
            bad.code(0x30 + 7, 8)  // a literal
            bad.code(1, 7)  // length 3
            bad.code(code, 5)
            for tail in [[0, 0], padding] {
                #expect(throws: DecodeError.badHeader) { try Self.inflate(bad.bytes + tail, size: 100_000) }
            }
        }
        var over = [Int](repeating: 1, count: 286)  // 286 one-bit codes
        over[256] = 1
        var overWriter = DeflateWriter()
        overWriter.dynamic([], literalLengths: over, distanceLengths: [1], last: true)
        #expect(throws: DecodeError.badHeader) { try Self.inflate(overWriter.bytes, size: 100) }
        var incomplete = [Int](repeating: 0, count: 257)
        incomplete[65] = 2; incomplete[256] = 2  // half the code space unused
        var incompleteWriter = DeflateWriter()
        incompleteWriter.dynamic([.literal(65)], literalLengths: incomplete, distanceLengths: [1], last: true)
        #expect(throws: DecodeError.badHeader) { try Self.inflate(incompleteWriter.bytes, size: 100) }
        // A single one-bit code is fine (here the only distance code).
        var single = [Int](repeating: 0, count: 257)
        single[65] = 1; single[256] = 1
        var singleWriter = DeflateWriter()
        singleWriter.dynamic([.literal(65)], literalLengths: single, distanceLengths: [1], last: true)
        #expect(try Self.inflate(singleWriter.bytes, size: 100) == [65])
    }

    /// Every truncation of a small member, and every output size short of its content: errors, nothing written
    /// past the output.
    @Test func everyTruncationAndShortOutput() throws {
        let data = syntheticKernelLikeData(count: 20_000, seed: 5)
        let good = try data.withUnsafeBytes { try Payload.compress($0, with: .gzip) }
        for length in 0..<good.count {
            #expect(throws: DecodeError.self) { try Self.gunzip(Array(good.prefix(length)), size: data.count) }
        }
        for size in stride(from: 0, to: data.count, by: 37) {
            #expect(throws: DecodeError.self) { try Self.gunzip(good, size: size) }
        }
        #expect(try Self.gunzip(good, size: data.count) == data)
    }

    @Test func corruptStreamsAreErrorsNeverOverflows() throws {
        let data = syntheticKernelLikeData(count: 200_000, seed: 8)
        let good = try data.withUnsafeBytes { try Payload.compress($0, with: .gzip) }
        let tally = DecoderHarness.fuzz(good, original: data, rounds: 3_000, seed: 12, from: 10) {
            bad, _ throws(DecodeError) in try Self.gunzip(bad, size: data.count)
        }
        // CRC-32 and ISIZE catch what decodes structurally; a flip may only hit bits nothing reads (the padding
        // after the last block).
        #expect(tally.decodedWrong == 0)
        #expect(tally.rejected > tally.rounds - 10)
        #expect(tally.truncations == 750 && tally.truncationsRejected == 750)
    }

    /// The table-driven CRC-32 (four interleaved streams, joined; zero chunks skipped) against the bitwise one.
    @Test func crc32MatchesBitwise() {
        var generator = SeededGenerator(seed: 9)
        let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var table = [UInt32](repeating: 0, count: CRC32.tableSize / 4)
        #expect(Inflate.workspaceSize >= CRC32.tableSize)
        for count in Array(0..<300) + [1023, 1024, 4999, 5000] {
            let slice = Array(bytes.prefix(count))
            let fast = slice.withUnsafeBytes { b in table.withUnsafeMutableBytes { CRC32.zlib(b, table: $0) } }
            #expect(fast == slice.withUnsafeBytes { CRC32.zlib($0) }, "\(count) bytes")
        }
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.zlib($0) } == 0xCBF4_3926)
        // Whole 64 KiB chunks (the streams' unit) of zeros are skipped: runs of them, at the start and the end,
        // zeros that fall short of a chunk, and a buffer ending inside one.
        let chunk = 64 * 1024
        var large = (0..<(7 * chunk + 1234)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let zeros = [0..<chunk, 2 * chunk..<4 * chunk + 100, 6 * chunk + 1..<large.count]
        for range in zeros { for zero in range { large[zero] = 0 } }
        for count in [chunk, chunk + 1, 3 * chunk, 4 * chunk, 6 * chunk + 7, 7 * chunk, large.count] {
            let slice = Array(large.prefix(count))
            let fast = slice.withUnsafeBytes { b in table.withUnsafeMutableBytes { CRC32.zlib(b, table: $0) } }
            #expect(fast == slice.withUnsafeBytes { CRC32.zlib($0) }, "\(count) bytes")
        }
    }
}

/// A small DEFLATE writer for hand-made streams: stored blocks, fixed-code blocks, and dynamic blocks with
/// given code lengths (sent as plain code lengths through a code-length code of sixteen 4-bit codes).
struct DeflateWriter {
    enum Symbol {
        case literal(UInt8)
        case match(length: Int, distance: Int)
    }

    private var data: [UInt8] = []
    private var pending: UInt64 = 0, pendingBits = 0

    /// The stream so far, its last bits padded to a byte.
    var bytes: [UInt8] { pendingBits > 0 ? data + [UInt8(truncatingIfNeeded: pending)] : data }

    /// `count` bits of `value`, least significant first.
    mutating func bits(_ value: Int, _ count: Int) {
        pending |= UInt64(value) << UInt64(pendingBits)
        pendingBits += count
        while pendingBits >= 8 {
            data.append(UInt8(truncatingIfNeeded: pending))
            pending >>= 8
            pendingBits -= 8
        }
    }

    /// A Huffman code: its most significant bit first.
    mutating func code(_ code: Int, _ length: Int) {
        for bit in stride(from: length - 1, through: 0, by: -1) { bits(code >> bit & 1, 1) }
    }

    mutating func flush() {
        if pendingBits > 0 { bits(0, 8 - pendingBits) }
    }

    mutating func stored(_ data: [UInt8], last: Bool = false) {
        bits(last ? 1 : 0, 1)
        bits(0, 2)
        flush()
        bits(data.count, 16)
        bits(~data.count & 0xFFFF, 16)
        self.data += data
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                             131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
                               1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
                                12, 12, 13, 13]

    /// The symbol for a length or distance and its extra bits (the last base at or below it; 258 is symbol 285).
    static func split(_ value: Int, _ base: [Int]) -> (symbol: Int, extra: Int) {
        let index = base.lastIndex { $0 <= value }!
        return (index, value - base[index])
    }

    /// Canonical codes for `lengths` (RFC 1951 3.2.2).
    static func codes(_ lengths: [Int]) -> [Int] {
        var counts = [Int](repeating: 0, count: 16)
        for length in lengths where length > 0 { counts[length] += 1 }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for length in 1..<16 {
            code = (code + counts[length - 1]) << 1
            next[length] = code
        }
        return lengths.map { length in
            guard length > 0 else { return 0 }
            defer { next[length] += 1 }
            return next[length]
        }
    }

    mutating func symbols(_ symbols: [Symbol], literalCodes: [Int], literalLengths: [Int], distanceCodes: [Int],
                          distanceLengths: [Int])
    {
        for symbol in symbols {
            switch symbol {
            case .literal(let byte):
                code(literalCodes[Int(byte)], literalLengths[Int(byte)])
            case .match(let length, let distance):
                let (lengthIndex, lengthBits) = length == 258 ? (28, 0) : Self.split(length, Self.lengthBase)
                code(literalCodes[257 + lengthIndex], literalLengths[257 + lengthIndex])
                bits(lengthBits, Self.lengthExtra[lengthIndex])
                let (distanceIndex, distanceBits) = Self.split(distance, Self.distanceBase)
                code(distanceCodes[distanceIndex], distanceLengths[distanceIndex])
                bits(distanceBits, Self.distanceExtra[distanceIndex])
            }
        }
        code(literalCodes[256], literalLengths[256])
    }

    mutating func fixed(_ symbols: [Symbol], last: Bool = false) {
        bits(last ? 1 : 0, 1)
        bits(1, 2)
        let literalLengths = (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 }
        let distanceLengths = [Int](repeating: 5, count: 30)
        self.symbols(symbols, literalCodes: Self.codes(literalLengths), literalLengths: literalLengths,
                     distanceCodes: Self.codes(distanceLengths), distanceLengths: distanceLengths)
        if last { flush() }
    }

    mutating func dynamic(_ symbols: [Symbol], literalLengths: [Int], distanceLengths: [Int], last: Bool = false) {
        bits(last ? 1 : 0, 1)
        bits(2, 2)
        bits(literalLengths.count - 257, 5)
        bits(distanceLengths.count - 1, 5)
        bits(19 - 4, 4)
        // Code-length code: lengths 0 to 15 get 4-bit codes, 16 to 18 none; sent in the RFC's order.
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        for symbol in order { bits(symbol < 16 ? 4 : 0, 3) }
        for length in literalLengths + distanceLengths { code(length, 4) }
        self.symbols(symbols, literalCodes: Self.codes(literalLengths), literalLengths: literalLengths,
                     distanceCodes: Self.codes(distanceLengths), distanceLengths: distanceLengths)
        if last { flush() }
    }

    /// What `symbols` decode to after `window`.
    static func apply(_ symbols: [Symbol], to window: [UInt8]) -> [UInt8] {
        var output = window
        for symbol in symbols {
            switch symbol {
            case .literal(let byte): output.append(byte)
            case .match(let length, let distance):
                for _ in 0..<length { output.append(output[output.count - distance]) }
            }
        }
        return output
    }
}
