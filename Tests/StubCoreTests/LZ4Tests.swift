import BootImage
import Compressors
import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct LZ4Tests {
    /// A legacy frame through the harness: exactly `size` bytes of output, guard bytes after it.
    static func decode(_ frame: [UInt8], size: Int, sourceLocation: SourceLocation = #_sourceLocation)
        throws(DecodeError) -> [UInt8]
    {
        try DecoderHarness.decode(frame, as: .lz4, size: size, sourceLocation: sourceLocation)
    }

    /// The same through the freestanding stub's `stub_lz4_legacy` (its status mapped back to the decoder's error).
    static func decode(_ frame: [UInt8], size: Int, guardBytes: Int = 64, with stub: LoadedStub,
                       sourceLocation: SourceLocation = #_sourceLocation) throws(DecodeError) -> [UInt8]
    {
        try DecoderHarness.decode(frame, size: size, guardBytes: guardBytes, sourceLocation: sourceLocation) {
            input, output, _ throws(DecodeError) in
            let status = stub.lz4Legacy!(input.baseAddress!, input.count, output.baseAddress!, output.count)
            guard status >= 0 else {
                // BootFailure lists the decoder's errors by name; anything else is not a decoder's answer.
                let error: DecodeError? = switch BootFailure(status: status) {
                case .truncated: .truncated
                case .badHeader: .badHeader
                case .badOffset: .badOffset
                case .outputOverflow: .outputOverflow
                case .sizeMismatch: .sizeMismatch
                case .checksum: .checksum
                default: nil
                }
                guard let error else {
                    Issue.record("stub_lz4_legacy returned \(status), no decoder error", sourceLocation: sourceLocation)
                    throw .badHeader
                }
                throw error
            }
            return status
        }
    }

    @Test func decodesTheDebian61PayloadOnTheHost() throws {
        let kernel = try Fixtures.kernel("6.1")
        let payload = try Fixtures.rawPayload(ofImage: kernel.vmlinuz)
        let expected = try Fixtures.bytes(kernel.payload)
        let decoded = try Self.decode(Array(payload.dropLast(4)), size: expected.count)
        #expect(decoded.count == expected.count)
        #expect(decoded == expected)
    }

    /// The freestanding stub binary itself (built by the plugin) runs on the host: same x86-64 SysV ABI.
    @Test func theFreestandingStubDecodesTheDebian61Payload() throws {
        let kernel = try Fixtures.kernel("6.1")
        let payload = Array(try Fixtures.rawPayload(ofImage: kernel.vmlinuz).dropLast(4))
        let expected = try Fixtures.bytes(kernel.payload)
        let stub = try LoadedStub(.lz4)
        let decoded = try Self.decode(payload, size: expected.count, with: stub)
        #expect(decoded.count == expected.count)
        #expect(decoded == expected)
        // Corrupt input is an error code, not a crash, and never writes past the 8 MiB it was given (1 MiB of
        // guard bytes after them).
        var bad = payload
        for i in 0..<16 { bad[1_000_000 + i] ^= 0xFF }
        #expect(throws: DecodeError.self) { try Self.decode(bad, size: 8 << 20, guardBytes: 1 << 20, with: stub) }
    }

    /// Inputs that reach every copy path: none or one byte, incompressible data (long literal runs), runs of one
    /// byte across the 8 MiB block boundary (long matches ending at a block's very end), short repeating periods
    /// (1 to 20 bytes: the overlapping copies), matches at the largest distance (65535), and a match right before
    /// the end. Each frame from liblz4 (HC 9 and fast), decoded into an exact-size buffer with guard bytes.
    @Test func edgeCases() throws {
        var generator = SeededGenerator(seed: 7)
        let random = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var cases: [(String, [UInt8])] = [
            ("empty", []), ("one byte", [0x42]), ("incompressible", random),
            ("zeros over two blocks", [UInt8](repeating: 0, count: (8 << 20) + 12345)),
            ("distance 65535", Array(random.prefix(65535)) + Array(random.prefix(65535)) + [1, 2, 3]),
            ("match at the end", Array(random.prefix(100)) + Array(random.prefix(100))),
        ]
        for period in 1...20 {
            let pattern = Array(random.prefix(period))
            cases.append(("period \(period)", (0..<(70_000 / period + 1)).flatMap { _ in pattern } + Array(random.prefix(9))))
        }
        for (name, input) in cases {
            for level in [9, 1] {
                let payload = try input.withUnsafeBytes { try Payload.compress($0, with: .lz4, options: .init(level: level)) }
                let frame = Array(payload.dropLast(4))
                let decoded = try Self.decode(frame, size: input.count)
                let same = decoded == input  // (not inside #expect: it would print both arrays)
                #expect(same, "\(name), level \(level)")
                // One byte less room is an error, not a write past the buffer.
                if !input.isEmpty {
                    #expect(throws: DecodeError.self, "\(name), level \(level)") {
                        try Self.decode(frame, size: input.count - 1)
                    }
                }
            }
        }
    }

    @Test func truncationsAndBitFlipsNeverTrapNorOverflow() throws {
        let input = syntheticKernelLikeData(count: 1 << 20, seed: 21)
        // A valid frame from liblz4 (via the lz4 CLI: the test oracle).
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try Data(input).write(to: URL(fileURLWithPath: dir.file("in")))
        #expect(try shell("lz4 -l -9 -q -f \(dir.file("in")) \(dir.file("in.lz4"))") == 0)
        let frame = try Fixtures.bytes(dir.file("in.lz4"))
        #expect(try Self.decode(frame, size: input.count) == input)
        // No checksum: a change can decode to other bytes; the harness checks that nothing is written past the
        // output and that no more than the output is reported written.
        let tally = DecoderHarness.fuzz(frame, original: input, rounds: 3_000, seed: 99, truncatingEvery: 3,
                                        changes: 1...4) { bad, _ throws(DecodeError) in
            try Self.decode(bad, size: input.count)
        }
        // One block of 1 MiB: a frame cut inside it is refused (a cut right after the magic is a valid empty frame).
        #expect(tally.truncations == 1_000 && tally.truncationsRejected >= tally.truncations - 2,
                "\(tally.truncationsRejected) of \(tally.truncations) truncations refused")
        print("lz4 fuzz: \(tally.rejected) of \(tally.rounds) rejected, \(tally.decodedWrong) decoded to other bytes")
    }
}
