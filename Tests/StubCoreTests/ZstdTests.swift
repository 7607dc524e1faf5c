import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct ZstdTests {
    static let guardBytes = 64

    /// Decodes into an output of `size` bytes followed by guard bytes that must stay untouched.
    static func decode(_ frame: [UInt8], size: Int) throws(DecodeError) -> [UInt8] {
        var output = [UInt8](repeating: 0xA5, count: size + guardBytes)
        var workspace = [UInt8](repeating: 0, count: Zstd.workspaceSize)
        var result: Result<Int, DecodeError> = .success(0)
        frame.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                workspace.withUnsafeMutableBytes { ws in
                    let region = UnsafeMutableRawBufferPointer(rebasing: out[0..<size])
                    result = Result { () throws(DecodeError) in try Zstd.decodeFrame(input, into: region, workspace: ws) }
                }
            }
        }
        precondition(output[size...].allSatisfy { $0 == 0xA5 }, "wrote past the output")
        return Array(output.prefix(try result.get()))
    }

    static func zstd(_ data: [UInt8], _ options: String, in dir: TemporaryDirectory) throws -> [UInt8] {
        try Data(data).write(to: URL(fileURLWithPath: dir.file("in")))
        #expect(try shell("zstd -q -f -c \(options) < \(dir.file("in")) > \(dir.file("out.zst"))") == 0)
        return try Fixtures.bytes(dir.file("out.zst"))
    }

    /// The Debian 6.12 payload, compressed by the kernel's build with `zstd -22 --ultra`.
    @Test func decodesKernelPayload() throws {
        let kernel = try Fixtures.kernel("6.12")
        let raw = try Fixtures.rawPayload(ofImage: kernel.vmlinuz)
        let frame = Array(raw.dropLast(4))  // the size trailer
        let expected = try Fixtures.bytes(kernel.payload)
        #expect(expected.count == 57_573_800)
        let clock = ContinuousClock()
        let start = clock.now
        let decoded = try Self.decode(frame, size: expected.count)
        print("zstd: decoded the 6.12 payload in \(clock.now - start)")
        #expect(decoded.count == expected.count)
        #expect(decoded == expected)
    }

    @Test func xxh64MatchesKnownValues() {
        // XXH64("", 0) and XXH64("abc", 0).
        #expect([UInt8]().withUnsafeBytes { Zstd.xxh64($0) } == 0xEF46_DB37_51D8_E999)
        #expect(Array("abc".utf8).withUnsafeBytes { Zstd.xxh64($0) } == 0x44BC_2CF5_AD77_0999)
    }

    /// Hand-made frames: the header rules (dictionary ID, reserved bits, block types) and the first-frame rule.
    @Test func handMadeFrames() throws {
        let magic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        let rawABC: [UInt8] = [0x19, 0, 0] + Array("abc".utf8)  // last, raw, 3 bytes
        // Window descriptor and a zero 1-byte dictionary ID: accepted.
        #expect(try Self.decode(magic + [0x01, 0x00, 0x00] + rawABC, size: 10) == Array("abc".utf8))
        // A real dictionary ID: rejected (we decode no dictionaries).
        #expect(throws: DecodeError.badHeader) { try Self.decode(magic + [0x01, 0x00, 0x05] + rawABC, size: 10) }
        // Reserved descriptor bit.
        #expect(throws: DecodeError.badHeader) { try Self.decode(magic + [0x28, 0x03] + rawABC, size: 10) }
        // Single segment with a 1-byte content size that disagrees with the blocks.
        #expect(throws: DecodeError.sizeMismatch) { try Self.decode(magic + [0x20, 0x04] + rawABC, size: 10) }
        #expect(throws: DecodeError.outputOverflow) { try Self.decode(magic + [0x20, 0x02] + rawABC, size: 10) }
        #expect(try Self.decode(magic + [0x20, 0x03] + rawABC, size: 3) == Array("abc".utf8))
        // Reserved block type; a skippable frame is not a zstd frame.
        #expect(throws: DecodeError.badHeader) { try Self.decode(magic + [0x20, 0x03, 0x07, 0, 0], size: 3) }
        #expect(throws: DecodeError.badHeader) { try Self.decode([0x50, 0x2A, 0x4D, 0x18, 0, 0, 0, 0], size: 3) }
        // RLE block: 'z' five times; a declared size larger than the output is refused up front.
        #expect(try Self.decode(magic + [0x20, 0x05, 0x2B, 0, 0, 0x7A], size: 5) == Array("zzzzz".utf8))
        #expect(throws: DecodeError.outputOverflow) { try Self.decode(magic + [0x20, 0x05, 0x2B, 0, 0, 0x7A], size: 4) }
        // A frame cut inside its block header, and an empty input.
        #expect(throws: DecodeError.truncated) { try Self.decode(magic + [0x20, 0x05, 0x2B], size: 5) }
        #expect(throws: DecodeError.truncated) { try Self.decode([], size: 5) }
    }

    @Test func edgeCasesFromTheCLI() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var generator = SeededGenerator(seed: 21)
        let cases: [[UInt8]] = [
            [], [7], Array("hello hello hello hello hello".utf8),
            (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) },  // raw blocks
            [UInt8](repeating: 0, count: 1 << 20),  // RLE blocks
            [UInt8](repeating: 0x41, count: 200_000) + (0..<5_000).map { _ in UInt8.random(in: 0...3, using: &generator) },
            syntheticKernelLikeData(count: 1_000_000, seed: 3),
        ]
        for (index, data) in cases.enumerated() {
            for options in ["-1", "-3", "-19", "-22 --ultra", "-3 --no-check", "-19 --no-check", "-1 --no-check"] {
                let frame = try Self.zstd(data, options, in: dir)
                #expect(try Self.decode(frame, size: data.count) == data, "case \(index) \(options)")
            }
        }
        // Without the content size in the header (streaming), into a larger buffer.
        let data = syntheticKernelLikeData(count: 400_000, seed: 9)
        try Data(data).write(to: URL(fileURLWithPath: dir.file("in")))
        #expect(try shell("cat \(dir.file("in")) | zstd -q -c -5 > \(dir.file("s.zst"))") == 0)
        let streamed = try Fixtures.bytes(dir.file("s.zst"))
        #expect(try Self.decode(streamed, size: data.count + 1000) == data)
        // Too small an output is an error, not an overflow.
        let frame = try Self.zstd(data, "-3", in: dir)
        #expect(throws: DecodeError.self) { try Self.decode(frame, size: data.count - 1) }
        #expect(throws: DecodeError.self) { try Self.decode(streamed, size: data.count - 1) }
        // Only the first frame is decoded.
        let two = frame + frame
        #expect(try Self.decode(two, size: 2 * data.count) == data)
    }

    @Test func levelsOnKernelLikeData() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let data = syntheticKernelLikeData(count: 3_000_000, seed: 17)
        for options in ["-1", "-3", "-19", "-22 --ultra", "-22 --ultra --no-check", "--long=24 -9"] {
            let frame = try Self.zstd(data, options, in: dir)
            #expect(try Self.decode(frame, size: data.count) == data, "\(options)")
        }
    }

    @Test func corruptFramesAreErrorsNeverOverflows() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let data = syntheticKernelLikeData(count: 200_000, seed: 8)
        var generator = SeededGenerator(seed: 12)
        for options in ["-19", "-3 --no-check"] {
            let good = try Self.zstd(data, options, in: dir)
            let checked = !options.contains("no-check")
            var rejected = 0, accepted = 0
            let rounds = 3_000
            for round in 0..<rounds {
                var bad = good
                if round % 4 == 0 {
                    bad = Array(bad.prefix(Int.random(in: 0..<bad.count, using: &generator)))
                } else {
                    for _ in 0..<Int.random(in: 1...3, using: &generator) {
                        bad[Int.random(in: 4..<bad.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
                    }
                }
                // Sometimes more room than needed, so a size field that grows is not caught by the buffer alone.
                let size = round % 3 == 0 ? data.count + 4096 : data.count
                do {
                    let decoded = try Self.decode(bad, size: size)
                    accepted += 1
                    if checked { #expect(decoded == data, "round \(round): a corrupt frame passed the checksum") }
                } catch {
                    rejected += 1
                }
            }
            print("zstd fuzz \(options): \(rejected) rejected, \(accepted) decoded")
            if checked { #expect(rejected + accepted == rounds) }
        }
    }
}
