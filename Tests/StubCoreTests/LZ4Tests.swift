import BootImage
import Compressors
import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct LZ4Tests {
    @Test func decodesTheDebian61PayloadOnTheHost() throws {
        let kernel = try Fixtures.kernel("6.1")
        let payload = try Fixtures.rawPayload(ofImage: kernel.vmlinuz)
        let expected = try Fixtures.bytes(kernel.payload)
        var output = [UInt8](repeating: 0, count: expected.count)
        let written = try payload.withUnsafeBytes { input in
            try output.withUnsafeMutableBytes { out in
                try LZ4.decodeLegacyFrame(UnsafeRawBufferPointer(rebasing: input.dropLast(4)), into: out)
            }
        }
        #expect(written == expected.count)
        #expect(output == expected)
    }

    /// The freestanding stub binary itself (built by the plugin) runs on the host: same x86-64 SysV ABI.
    @Test func theFreestandingStubDecodesTheDebian61Payload() throws {
        let kernel = try Fixtures.kernel("6.1")
        let payload = Array(try Fixtures.rawPayload(ofImage: kernel.vmlinuz).dropLast(4))
        let expected = try Fixtures.bytes(kernel.payload)
        let stub = try LoadedStub(.lz4)
        var output = [UInt8](repeating: 0, count: expected.count)
        let written = payload.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { stub.lz4Legacy!(input.baseAddress!, input.count, $0.baseAddress!, $0.count) }
        }
        #expect(written == expected.count)
        #expect(output == expected)
        // Corrupt input is an error code, not a crash, and never writes past the buffer it was given.
        var bad = payload
        for i in 0..<16 { bad[1_000_000 + i] ^= 0xFF }
        var small = [UInt8](repeating: 0, count: 9 << 20)
        let status = bad.withUnsafeBytes { input in
            small.withUnsafeMutableBytes { stub.lz4Legacy!(input.baseAddress!, input.count, $0.baseAddress!, ($0.count - (1 << 20))) }
        }
        #expect(status < 0)
        #expect(small.suffix(1 << 20).allSatisfy { $0 == 0 })
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
                let decoded = try DecoderHarness.decode(frame, size: input.count) { input, output, _ throws(DecodeError) in
                    try LZ4.decodeLegacyFrame(input, into: output)
                }
                let same = decoded == input  // (not inside #expect: it would print both arrays)
                #expect(same, "\(name), level \(level)")
                // One byte less room is an error, not a write past the buffer.
                if !input.isEmpty {
                    #expect(throws: DecodeError.self, "\(name), level \(level)") {
                        try DecoderHarness.decode(frame, size: input.count - 1) { input, output, _ throws(DecodeError) in
                            try LZ4.decodeLegacyFrame(input, into: output)
                        }
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
        var generator = SeededGenerator(seed: 99)
        var output = [UInt8](repeating: 0, count: input.count + 64)
        for round in 0..<3_000 {
            var bad = frame
            if round % 3 == 0 {
                bad = Array(bad.prefix(Int.random(in: 0...bad.count, using: &generator)))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bad[Int.random(in: 0..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            for i in input.count..<output.count { output[i] = 0xA5 }
            let result = bad.withUnsafeBytes { source in
                output.withUnsafeMutableBytes { out in
                    Result { () throws(DecodeError) in
                        try LZ4.decodeLegacyFrame(source, into: UnsafeMutableRawBufferPointer(rebasing: out.prefix(input.count)))
                    }
                }
            }
            if case .success(let written) = result { #expect(written <= input.count) }
            #expect(output[input.count...].allSatisfy { $0 == 0xA5 }, "wrote past the output buffer")
        }
    }
}
