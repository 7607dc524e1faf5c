import Compressors
import Testing
import TestSupport

@Suite struct RoundTripTests {
    static let input = syntheticKernelLikeData(count: 3 << 20, seed: 42)

    @Test(arguments: Algorithm.allCases)
    func compressesAndDecompresses(algorithm: Algorithm) throws {
        let payload = try Self.input.withUnsafeBytes { try Payload.compress($0, with: algorithm, options: .init(threads: 2)) }
        #expect(payload.count < Self.input.count / 2)
        try payload.withUnsafeBytes { raw in
            #expect(Algorithm(detecting: raw) == algorithm)
            #expect(Payload.declaredSize(of: raw) == Self.input.count)  // size trailer, or gzip's ISIZE
            let (detected, output) = try Payload.decompress(raw)
            #expect(detected == algorithm)
            #expect(output == Self.input)
        }
    }

    @Test(arguments: Algorithm.allCases)
    func emptyAndOneByteInputs(algorithm: Algorithm) throws {
        for input in [[UInt8](), [0x5A]] {
            let payload = try input.withUnsafeBytes { try Payload.compress($0, with: algorithm) }
            let (_, output) = try payload.withUnsafeBytes { try Payload.decompress($0) }
            #expect(output == input)
        }
    }

    @Test(arguments: Algorithm.allCases)
    func corruptPayloadsAreErrorsNotCrashes(algorithm: Algorithm) throws {
        let input = Array(Self.input.prefix(1 << 20))
        let payload = try input.withUnsafeBytes { try Payload.compress($0, with: algorithm, options: .init(level: algorithm.levels.lowerBound)) }
        var generator = SeededGenerator(seed: 9)
        var rejected = 0
        for round in 0..<40 {
            var bad = payload
            if round % 2 == 0 {
                bad = Array(bad.prefix(Int.random(in: 0..<bad.count, using: &generator)))
            } else {
                for _ in 0..<8 { bad[Int.random(in: 16..<bad.count - 8, using: &generator)] ^= 0xA5 }
            }
            do {
                let (_, output) = try bad.withUnsafeBytes { try Payload.decompress($0) }
                // LZ4 and lzo-stored blocks carry no checksum of every byte; what decodes must still be bounded.
                #expect(output.count == input.count)
            } catch is CompressionError {
                rejected += 1
            }
        }
        #expect(rejected >= 20)
    }

    @Test func levelsOutsideTheFormatsRangeAreRefused() {
        #expect(throws: CompressionError.levelOutOfRange(.zstd, 23)) {
            try [1, 2, 3].withUnsafeBytes { try Payload.compress($0, with: .zstd, options: .init(level: 23)) }
        }
    }

    @Test func garbageIsNotAPayload() {
        #expect(throws: CompressionError.notAPayload) { try [1, 2, 3, 4, 5].withUnsafeBytes { try Payload.decompress($0) } }
    }
}

@Suite struct ThreadInvarianceTests {
    /// Big enough for several LZ4 (8 MiB), lzo (256 KiB) and bzip2 (900 k) blocks.
    static let input = syntheticKernelLikeData(count: 20 << 20, seed: 7)

    @Test(arguments: [Algorithm.lz4, .lzo, .bzip2, .gzip])
    func outputIsTheSameForAnyThreadCount(algorithm: Algorithm) throws {
        let outputs = try [1, 2, 3].map { threads in
            try Self.input.withUnsafeBytes { try Payload.compress($0, with: algorithm, options: .init(threads: threads)) }
        }
        #expect(outputs[0] == outputs[1] && outputs[1] == outputs[2])
    }

    @Test func bzip2SplicedBlocksEqualTheSingleStream() throws {
        // Several blocks, spliced from separately compressed ranges, decode as one stream and match the CLI.
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let input = Array(Self.input.prefix(5 << 20))
        let payload = try input.withUnsafeBytes { try Payload.compress($0, with: .bzip2, options: .init(threads: 2)) }
        try input.write(to: dir.file("in"))
        try payload.dropLast(4).write(to: dir.file("ours.bz2"))
        #expect(try shell("bzip2 -9 < \(dir.file("in")) > \(dir.file("cli.bz2"))") == 0)
        #expect(try Fixtures.bytes(dir.file("cli.bz2")) == Array(payload.dropLast(4)))
    }
}

extension Array where Element == UInt8 {
    func write(to path: String) throws {
        try Data(self).write(to: URL(fileURLWithPath: path))
    }
}

extension ArraySlice where Element == UInt8 {
    func write(to path: String) throws { try Array(self).write(to: path) }
}

import Foundation
