import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct XZTests {
    /// Decodes through the harness's guarded buffer: `.xz` or `.lzma` (LZMA-alone).
    static func decode(_ format: PayloadFormat, _ payload: [UInt8], size: Int,
                       sourceLocation: SourceLocation = #_sourceLocation) throws(DecodeError) -> [UInt8]
    {
        try DecoderHarness.decode(payload, as: format, size: size, sourceLocation: sourceLocation)
    }

    static func timed<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        defer { print("\(label): \(String(format: "%.1f", Date().timeIntervalSince(start))) s") }
        return try body()
    }

    /// The Debian 6.1 `vmlinux.bin ++ relocs` through the kernel's own commands (scripts/Makefile.lib's
    /// `cmd_xzkern` and `cmd_lzma`), decoded by StubCore.
    @Test func decodesKernelPayloadFromKernelXZCommand() throws {
        let (input, packed) = try DecoderHarness.kernelPayload(compressedBy: "xz --check=crc32 --x86 --lzma2=,dict=32MiB")
        let output = try Self.timed("xz decode of \(input.count) bytes") { try Self.decode(.xz, packed, size: input.count) }
        #expect(output.count == input.count)
        #expect(output == input)
    }

    @Test func decodesKernelPayloadFromKernelLZMACommand() throws {
        let (input, packed) = try DecoderHarness.kernelPayload(compressedBy: "lzma -9")
        let output = try Self.timed("lzma decode of \(input.count) bytes") {
            try Self.decode(.lzma, packed, size: input.count)
        }
        #expect(output.count == input.count)
        #expect(output == input)
    }

    @Test func decodesMultiBlockKernelPayload() throws {
        let kernel = try Fixtures.kernel("6.1")
        let input = try Fixtures.bytes(kernel.payload)
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let command = "xz --check=crc32 --x86 --lzma2=preset=6,dict=8MiB --block-size=4MiB -T2"
        #expect(try shell("\(command) < \(kernel.payload) > \(dir.file("p.xz"))") == 0)
        // 53 MB in 4 MiB blocks: 13 blocks (`file <streams> <blocks> …` in xz's robot listing).
        #expect(try shell("xz --robot --list \(dir.file("p.xz")) | grep -q '^file\t1\t13\t'") == 0,
                "expected 13 blocks")
        let packed = try Fixtures.bytes(dir.file("p.xz"))
        let output = try Self.timed("multi-block xz decode") { try Self.decode(.xz, packed, size: input.count) }
        #expect(output == input)
    }

    @Test func edgeCases() throws {
        var generator = SeededGenerator(seed: 5)
        let random = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let cases: [[UInt8]] = [[], [7], Array("hello hello hello hello hello".utf8), random,
                                [UInt8](repeating: 0, count: 3 << 20),
                                syntheticKernelLikeData(count: 700_000, seed: 3),
                                Array(random.prefix(70_000)) + syntheticKernelLikeData(count: 200_000, seed: 4)
                                    + Array(random.suffix(90_000))]
        let commands = ["xz --check=crc32 --x86 --lzma2=,dict=32MiB", "xz -0 --check=crc32", "xz -9e --check=crc32",
                        "xz --check=none", "xz --check=none --x86 -1", "xz --format=raw --lzma2=preset=1 --format=xz -C crc32",
                        "xz -6 --check=crc32 --block-size=100000"]
        for (index, data) in cases.enumerated() {
            for command in commands {
                let packed = try DecoderHarness.compressed(data, by: command)
                #expect(try Self.decode(.xz, packed, size: data.count) == data, "case \(index): \(command)")
                // Trailing bytes after the stream are ignored (XZ_SINGLE stops at the footer).
                #expect(try Self.decode(.xz, packed + [0, 0, 0, 0, 1, 2], size: data.count) == data)
                // A larger output is fine: the decoder stops at the stream's end.
                #expect(try Self.decode(.xz, packed, size: data.count + 100) == data)
                if !data.isEmpty {
                    #expect(throws: DecodeError.self, "case \(index): \(command) into a short buffer") {
                        try Self.decode(.xz, packed, size: data.count - 1)
                    }
                }
            }
            for command in ["lzma -9", "lzma -0", "xz --format=lzma --lzma1=preset=6,lc=0,lp=2,pb=0"] {
                let packed = try DecoderHarness.compressed(data, by: command)
                #expect(try Self.decode(.lzma, packed, size: data.count) == data, "case \(index): \(command)")
            }
            // A .lzma header with the size known (and no end marker), as some encoders write it.
            if index == 5 {
                let packed = try DecoderHarness.compressed(data, by: "lzma -6")
                var known = packed
                known.put(UInt64(data.count), at: 5)
                #expect(try Self.decode(.lzma, known, size: data.count) == data)
            }
        }
    }

    @Test func refusesWhatTheKernelRefuses() throws {
        let data = syntheticKernelLikeData(count: 50_000, seed: 9)
        for command in ["xz --check=crc64", "xz --check=sha256", "xz --check=crc32 --arm --lzma2=preset=1", "xz --check=crc32 --delta --lzma2=preset=1"] {
            let packed = try DecoderHarness.compressed(data, by: command)
            #expect(throws: DecodeError.self, "\(command)") { try Self.decode(.xz, packed, size: data.count) }
        }
        #expect(throws: DecodeError.self) { try Self.decode(.xz, [0xFD, 0x37, 0x7A], size: 10) }
        #expect(throws: DecodeError.self) { try Self.decode(.lzma, [0x5D, 0, 0], size: 10) }
    }

    /// x86 BCJ over code-like bytes full of E8/E9 must round-trip through xz's encoder and our decoder,
    /// including with a start offset.
    @Test func bcjRoundTrips() throws {
        var generator = SeededGenerator(seed: 77)
        var data = [UInt8]()
        while data.count < 400_000 {
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: data += [0xE8] + (0..<4).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case 1: data += [0xE9, UInt8.random(in: 0...255, using: &generator), 0x12, 0x00, 0x00]
            case 2: data += [0xE8, 0xE8, 0xE9, 0xFF, 0xFF, 0xFF]
            case 3: data += [0xE8, UInt8.random(in: 0...255, using: &generator), 0xFF, 0xFF, 0xFF]
            default: data.append(UInt8.random(in: 0...255, using: &generator))
            }
        }
        for command in ["xz --check=crc32 --x86 --lzma2=preset=1", "xz --check=crc32 --x86=start=12345 --lzma2=preset=1",
                        "xz --check=crc32 --x86 --lzma2=preset=1 --block-size=77777"] {
            let packed = try DecoderHarness.compressed(data, by: command)
            #expect(try Self.decode(.xz, packed, size: data.count) == data, "\(command)")
        }
    }

    @Test func truncationsAndMutationsNeverTrapNorOverflow() throws {
        // Kernel-like bytes then noise, so the stream has LZMA chunks and uncompressed chunks.
        var noise = SeededGenerator(seed: 32)
        let data = syntheticKernelLikeData(count: 40_000, seed: 31)
            + (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &noise) }
        let good = try DecoderHarness.compressed(data, by: "xz --check=crc32 --x86 --lzma2=preset=6 --block-size=20000")
        #expect(try Self.decode(.xz, good, size: data.count) == data)
        let xz = DecoderHarness.fuzz(good, original: data, rounds: 4_000, seed: 1234) {
            bad, round throws(DecodeError) in
            // Sometimes a short output too: the guard bytes after it must stay untouched.
            if round % 8 == 1 { _ = try? Self.decode(.xz, bad, size: data.count / 2) }
            return try Self.decode(.xz, bad, size: data.count)
        }
        // Nothing decodes to wrong bytes: the block CRC32s catch mutations of the data that still decode, the
        // header, index and footer CRC32s the rest.
        #expect(xz.decodedWrong == 0)
        #expect(xz.truncationsRejected == xz.truncations)
        print("xz fuzz: \(xz.rejected) of \(xz.rounds) rejected")
        // The same over .lzma: no traps, no overflow (it has no checksum, so wrong output is possible), and the end
        // marker is never reached early: every truncation is refused.
        let lzma = try DecoderHarness.compressed(data, by: "lzma -6")
        let tally = DecoderHarness.fuzz(lzma, original: data, rounds: 2_000, seed: 4321) {
            bad, _ throws(DecodeError) in
            try Self.decode(.lzma, bad, size: data.count)
        }
        #expect(tally.truncations == 500 && tally.truncationsRejected == tally.truncations)
    }
}
