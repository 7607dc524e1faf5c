import Foundation
import StubCore
import Testing
import TestSupport

/// What the decoder tests share: decoding into a buffer that guard bytes follow, and the fuzz loop over damaged
/// copies of a good input.
enum DecoderHarness {
    static let guardByte: UInt8 = 0xA5

    /// Runs `decoder` over `input` into an output of exactly `size` bytes followed by `guardBytes` guard bytes, which
    /// must stay untouched, with a zeroed, 8-byte-aligned workspace of `workspaceSize` bytes; returns what it wrote.
    static func decode(
        _ input: [UInt8], size: Int, workspaceSize: Int = 0, guardBytes: Int = 64,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ decoder: (UnsafeRawBufferPointer, UnsafeMutableRawBufferPointer, UnsafeMutableRawBufferPointer)
            throws(DecodeError) -> Int
    ) throws(DecodeError) -> [UInt8] {
        var output = [UInt8](repeating: guardByte, count: size + guardBytes)
        var workspace = [UInt64](repeating: 0, count: (workspaceSize + 7) / 8)
        var result: Result<Int, DecodeError> = .success(0)
        input.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { all in
                workspace.withUnsafeMutableBytes { workspace in
                    let out = UnsafeMutableRawBufferPointer(rebasing: all.prefix(size))
                    let space = UnsafeMutableRawBufferPointer(rebasing: workspace.prefix(workspaceSize))
                    result = Result { () throws(DecodeError) in try decoder(input, out, space) }
                }
            }
        }
        #expect(output[size...].allSatisfy { $0 == guardByte }, "wrote past the output", sourceLocation: sourceLocation)
        let written = try result.get()
        #expect(written <= size, sourceLocation: sourceLocation)
        return Array(output.prefix(written))
    }

    /// `decode` through a payload format's decoder (its size trailer, if any, already dropped).
    static func decode(_ input: [UInt8], as format: PayloadFormat, size: Int, guardBytes: Int = 64,
                       sourceLocation: SourceLocation = #_sourceLocation) throws(DecodeError) -> [UInt8]
    {
        try decode(input, size: size, workspaceSize: format.workspaceSize, guardBytes: guardBytes,
                   sourceLocation: sourceLocation) { input, output, workspace throws(DecodeError) in
            try format.decode(input, into: output, workspace: workspace)
        }
    }

    /// `data` compressed by `command` (a shell pipeline from stdin to stdout: a compressor's CLI, the oracle).
    static func compressed(_ data: [UInt8], by command: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> [UInt8]
    {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try Data(data).write(to: URL(fileURLWithPath: dir.file("in")))
        #expect(try shell("\(command) < \(dir.file("in")) > \(dir.file("out"))") == 0, "\(command)",
                sourceLocation: sourceLocation)
        return try Fixtures.bytes(dir.file("out"))
    }

    /// The Debian 6.1 payload (`vmlinux.bin ++ relocs`, as decompressed from its vmlinuz) and the same compressed by
    /// `command` (a shell pipeline from stdin to stdout: the kernel's CLI command for the format).
    static func kernelPayload(compressedBy command: String) throws -> (content: [UInt8], compressed: [UInt8]) {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        #expect(try shell("\(command) < \(kernel.payload) > \(dir.file("compressed"))") == 0, "\(command)")
        return (try Fixtures.bytes(kernel.payload), try Fixtures.bytes(dir.file("compressed")))
    }

    /// A damaged copy of `good` for fuzz round `round`: every `truncatingEvery`-th round (from round 0) cut to a
    /// random shorter length, the other rounds with `changes` random bytes at or after `from` XOR-ed with a
    /// non-zero value, so each changed byte differs.
    static func damaged(_ good: [UInt8], round: Int, truncatingEvery: Int = 4, changes: ClosedRange<Int> = 1...3,
                        from: Int = 0, using generator: inout SeededGenerator) -> [UInt8]
    {
        if round % truncatingEvery == 0 {
            return Array(good.prefix(Int.random(in: 0..<good.count, using: &generator)))
        }
        var bad = good
        for _ in 0..<Int.random(in: changes, using: &generator) {
            bad[Int.random(in: from..<bad.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
        }
        return bad
    }

    /// What a fuzz loop saw.
    struct Tally {
        var rounds = 0
        /// The decoder threw.
        var rejected = 0
        /// It decoded, to the original bytes or to others.
        var decodedRight = 0, decodedWrong = 0
        /// Rounds that truncated the input, and how many of those the decoder rejected.
        var truncations = 0, truncationsRejected = 0
    }

    /// Decodes `rounds` damaged copies of `good` (see `damaged`) with `decode(bad, round)`, compares what decodes
    /// with `original`, and counts. Traps and writes past the output are what it catches on its own (the guarded
    /// `decode` above); the caller asserts on the tally what its format promises.
    static func fuzz(_ good: [UInt8], original: [UInt8], rounds: Int, seed: UInt64, truncatingEvery: Int = 4,
                     changes: ClosedRange<Int> = 1...3, from: Int = 0,
                     _ decode: (_ bad: [UInt8], _ round: Int) throws(DecodeError) -> [UInt8]) -> Tally
    {
        var generator = SeededGenerator(seed: seed)
        var tally = Tally(rounds: rounds)
        for round in 0..<rounds {
            let bad = damaged(good, round: round, truncatingEvery: truncatingEvery, changes: changes, from: from,
                              using: &generator)
            let truncated = bad.count < good.count
            if truncated { tally.truncations += 1 }
            do {
                if try decode(bad, round) == original { tally.decodedRight += 1 } else { tally.decodedWrong += 1 }
            } catch {
                tally.rejected += 1
                if truncated { tally.truncationsRejected += 1 }
            }
        }
        return tally
    }
}
