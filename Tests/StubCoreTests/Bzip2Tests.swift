import Compressors
import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct Bzip2Tests {
    /// Decodes through the harness: an output of exactly `size` bytes followed by guard bytes, which must stay
    /// untouched.
    static func decode(_ file: [UInt8], size: Int, sourceLocation: SourceLocation = #_sourceLocation)
        throws(DecodeError) -> [UInt8]
    {
        try DecoderHarness.decode(file, as: .bzip2, size: size, sourceLocation: sourceLocation)
    }

    @Test func workspaceFitsTheKernelsBootHeap() {
        #expect(Bzip2.workspaceSize <= 4 << 20)
    }

    /// The Debian 6.1 `vmlinux.bin ++ relocs` through `bzip2 -9` (the kernel's command) and through our bzip2.
    @Test func decodesKernelPayloadsFromBzip2AndOurs() throws {
        let (input, packed) = try DecoderHarness.kernelPayload(compressedBy: "bzip2 -9 -c")
        #expect(try Self.decode(packed, size: input.count) == input)
        let ours = try input.withUnsafeBytes { try Payload.compress($0, with: .bzip2, options: .init(threads: 2)) }
        #expect(try Self.decode(Array(ours.dropLast(4)), size: input.count) == input)
    }

    @Test func edgeCasesAndLevels() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var generator = SeededGenerator(seed: 6)
        var runs = [UInt8]()  // RLE1's edges: runs of 1–5, exactly 4, 255, 256, 259 and 260 equal bytes
        for (index, length) in [1, 2, 3, 4, 5, 4, 255, 256, 259, 260, 4, 1000, 4].enumerated() {
            runs += [UInt8](repeating: UInt8(index % 3), count: length)
        }
        let cases: [[UInt8]] = [[], [7], Array("hello hello hello hello".utf8),
                                [UInt8](repeating: 9, count: 4), [UInt8](repeating: 9, count: 255),
                                [UInt8](repeating: 9, count: 256), runs,
                                (0..<250_000).map { _ in UInt8.random(in: 0...255, using: &generator) },
                                [UInt8](repeating: 0, count: 1 << 20),
                                syntheticKernelLikeData(count: 350_000, seed: 4)]
        for (index, data) in cases.enumerated() {
            try Data(data).write(to: URL(fileURLWithPath: dir.file("in\(index)")))
            for level in ["-1", "-9"] {
                #expect(try shell("bzip2 -c \(level) < \(dir.file("in\(index)")) > \(dir.file("out.bz2"))") == 0)
                #expect(try Self.decode(try Fixtures.bytes(dir.file("out.bz2")), size: data.count) == data,
                        "case \(index) \(level)")
            }
        }
        // Too small an output is an error, not an overflow; a second concatenated stream is not read.
        let data = cases[9]
        #expect(try shell("bzip2 -c -1 < \(dir.file("in9")) > \(dir.file("a.bz2"))") == 0)
        let stream = try Fixtures.bytes(dir.file("a.bz2"))
        #expect(throws: DecodeError.outputOverflow) { try Self.decode(stream, size: data.count - 1) }
        #expect(try Self.decode(stream + stream, size: data.count) == data)
    }

    @Test func corruptStreamsAreErrorsNeverOverflows() throws {
        let data = syntheticKernelLikeData(count: 150_000, seed: 10)
        // -1: 100 k blocks, so the file has two blocks and the combined CRC covers both.
        let good = try DecoderHarness.compressed(data, by: "bzip2 -c -1")
        #expect(try Self.decode(good, size: data.count) == data)
        let tally = DecoderHarness.fuzz(good, original: data, rounds: 2_000, seed: 14) { bad, _ throws(DecodeError) in
            try Self.decode(bad, size: data.count)
        }
        // What still decodes must be the original: the block CRCs and the combined CRC catch everything else.
        #expect(tally.decodedWrong == 0)
        #expect(tally.rejected > tally.rounds * 95 / 100, "only \(tally.rejected) of \(tally.rounds) rejected")
        // A cut stream lacks its end-of-stream marker and combined CRC.
        #expect(tally.truncations == 500 && tally.truncationsRejected == tally.truncations)
    }
}
