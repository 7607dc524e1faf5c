import Compressors
import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct LZOTests {
    /// Decodes an lzop file through the harness: an output of exactly `size` bytes followed by guard bytes, which
    /// must stay untouched.
    static func decode(_ file: [UInt8], size: Int, sourceLocation: SourceLocation = #_sourceLocation)
        throws(DecodeError) -> [UInt8]
    {
        try DecoderHarness.decode(file, as: .lzo, size: size, sourceLocation: sourceLocation)
    }

    /// The Debian 6.1 `vmlinux.bin ++ relocs` through `lzop -9` (the kernel's command) and through our LZO writer.
    @Test func decodesKernelPayloadsFromLzopAndOurs() throws {
        let (input, packed) = try DecoderHarness.kernelPayload(compressedBy: "lzop -9 -c")
        #expect(try Self.decode(packed, size: input.count) == input)
        let ours = try input.withUnsafeBytes { try Payload.compress($0, with: .lzo, options: .init(threads: 2)) }
        #expect(try Self.decode(Array(ours.dropLast(4)), size: input.count) == input)
    }

    @Test func edgeCasesLevelsAndChecksumKinds() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var generator = SeededGenerator(seed: 5)
        let cases: [[UInt8]] = [[], [7], Array("hello hello hello hello".utf8),
                                (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) },
                                [UInt8](repeating: 0, count: 1 << 20),
                                syntheticKernelLikeData(count: 700_000, seed: 3)]
        for (index, data) in cases.enumerated() {
            let file = dir.file("in\(index)")
            try Data(data).write(to: URL(fileURLWithPath: file))
            // stdin (no name) and a named file; Adler-32 (default) and CRC-32 checksums.
            for options in ["-1", "-9", "-9 --crc32", "-1 --crc32"] {
                for source in ["< \(file)", file] {
                    #expect(try shell("lzop -c \(options) \(source) > \(dir.file("out.lzo"))") == 0)
                    #expect(try Self.decode(try Fixtures.bytes(dir.file("out.lzo")), size: data.count) == data,
                            "case \(index) \(options) \(source)")
                }
            }
        }
        // Too small an output is an error, not an overflow.
        try Data(cases[5]).write(to: URL(fileURLWithPath: dir.file("big")))
        #expect(try shell("lzop -c -9 < \(dir.file("big")) > \(dir.file("big.lzo"))") == 0)
        #expect(throws: DecodeError.outputOverflow) {
            try Self.decode(try Fixtures.bytes(dir.file("big.lzo")), size: cases[5].count - 1)
        }
    }

    /// Hand-made LZO1X streams for the instruction kinds lzop rarely or never emits.
    @Test func rawBlocks() throws {
        func run(_ block: [UInt8], size: Int, sourceLocation: SourceLocation = #_sourceLocation)
            throws(DecodeError) -> [UInt8]
        {
            try DecoderHarness.decode(block, size: size, sourceLocation: sourceLocation) {
                input, output, _ throws(DecodeError) in try LZO.decompress(input, into: output)
            }
        }
        // The empty stream: just the end marker.
        #expect(try run([0x11, 0, 0], size: 0) == [])
        // First byte 18: one literal, then an M2 of length 3 at distance 1 ("aaaa"), end.
        #expect(try run([18, 0x61, 0x40, 0, 0x11, 0, 0], size: 4) == Array("aaaa".utf8))
        // A back-reference before the output start.
        #expect(throws: DecodeError.badOffset) { try run([18, 0x61, 0x44, 0, 0x11, 0, 0], size: 8) }
        // Input left after the end marker.
        #expect(throws: DecodeError.badHeader) { try run([0x11, 0, 0, 0], size: 0) }
        #expect(throws: DecodeError.truncated) { try run([0x11, 0], size: 0) }
        #expect(throws: DecodeError.outputOverflow) { try run([18, 0x61, 0x40, 0, 0x11, 0, 0], size: 3) }
    }

    @Test func corruptFilesAreErrorsNeverOverflows() throws {
        let data = syntheticKernelLikeData(count: 300_000, seed: 9)
        let good = try DecoderHarness.compressed(data, by: "lzop -c -9")
        #expect(try Self.decode(good, size: data.count) == data)
        let tally = DecoderHarness.fuzz(good, original: data, rounds: 3_000, seed: 13) { bad, _ throws(DecodeError) in
            try Self.decode(bad, size: data.count)
        }
        // What still decodes (a match re-pointed at identical bytes, a flag bit nothing reads) must be the
        // original: the Adler-32 per block catches the rest.
        #expect(tally.decodedWrong == 0)
        #expect(tally.rejected > 2_900, "only \(tally.rejected) of \(tally.rounds) rejected")
        // A cut file lacks its blocks or the zero block that ends it.
        #expect(tally.truncations == 750 && tally.truncationsRejected == tally.truncations)
    }
}
