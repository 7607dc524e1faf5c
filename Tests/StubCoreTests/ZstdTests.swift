import Compressors
import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct ZstdTests {
    /// Decodes a frame through the harness: an output of `size` bytes followed by guard bytes that must stay
    /// untouched (a write past the output is a test failure there, not a trap).
    static func decode(_ frame: [UInt8], size: Int, sourceLocation: SourceLocation = #_sourceLocation)
        throws(DecodeError) -> [UInt8]
    {
        try DecoderHarness.decode(frame, as: .zstd, size: size, sourceLocation: sourceLocation)
    }

    static func zstd(_ data: [UInt8], _ options: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> [UInt8]
    {
        try DecoderHarness.compressed(data, by: "zstd -q -f -c \(options)", sourceLocation: sourceLocation)
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
                let frame = try Self.zstd(data, options)
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
        let frame = try Self.zstd(data, "-3")
        #expect(throws: DecodeError.self) { try Self.decode(frame, size: data.count - 1) }
        #expect(throws: DecodeError.self) { try Self.decode(streamed, size: data.count - 1) }
        // Only the first frame is decoded.
        let two = frame + frame
        #expect(try Self.decode(two, size: 2 * data.count) == data)
    }

    @Test func levelsOnKernelLikeData() throws {
        let data = syntheticKernelLikeData(count: 3_000_000, seed: 17)
        for options in ["-1", "-3", "-19", "-22 --ultra", "-22 --ultra --no-check", "--long=24 -9"] {
            let frame = try Self.zstd(data, options)
            #expect(try Self.decode(frame, size: data.count) == data, "\(options)")
        }
    }

    @Test func corruptFramesAreErrorsNeverOverflows() throws {
        let data = syntheticKernelLikeData(count: 200_000, seed: 8)
        for (options, seed) in [("-19", UInt64(12)), ("-3 --no-check", 13)] {
            let good = try Self.zstd(data, options)
            // Changes after the magic (a changed magic is just not zstd); sometimes more room than needed, so a
            // size field that grows is not caught by the buffer alone.
            let tally = DecoderHarness.fuzz(good, original: data, rounds: 3_000, seed: seed, from: 4) {
                bad, round throws(DecodeError) in try Self.decode(bad, size: round % 3 == 0 ? data.count + 4096 : data.count)
            }
            print("zstd fuzz \(options): \(tally.rejected) rejected, \(tally.decodedRight) decoded right, "
                  + "\(tally.decodedWrong) wrong")
            // A cut frame lacks its last block (and checksum): always refused.
            #expect(tally.truncations == 750 && tally.truncationsRejected == tally.truncations, "\(options)")
            if options.contains("no-check") {
                // No checksum: a change in literals or sequences can decode to other bytes, but the structure
                // (headers, tables, sizes) still refuses many (a decoder that checked nothing would refuse only the
                // truncations, a quarter of the rounds).
                #expect(tally.rejected > tally.rounds * 2 / 5, "\(options): only \(tally.rejected) rejected")
            } else {
                // The content checksum (XXH64) lets nothing through that decodes to other bytes.
                #expect(tally.decodedWrong == 0, "\(options): a corrupt frame passed the checksum")
                #expect(tally.rejected > tally.rounds * 99 / 100, "\(options): only \(tally.rejected) rejected")
            }
        }
    }

    /// `frame` decoded by libzstd (the oracle) into at most `size` bytes, or nil if it refuses it.
    static func libzstd(_ frame: [UInt8], size: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: size + 1)
        let payload = frame + [0, 0, 0, 0]  // a size trailer, which Payload.decompress skips
        let count = payload.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { out in try? Payload.decompress(input, as: .zstd, into: out) }
        }
        return count.map { Array(out.prefix($0)) }
    }

    typealias Frames = ZstdFrames

    /// Crafted two-block frames whose sequences use every repeat-offset case (offset values 1-3, with and without
    /// literals; the repeat offsets carry into the second block, which repeats the first one's tables), checked
    /// against libzstd.
    @Test func repeatOffsetsEveryCase() throws {
        var generator = SeededGenerator(seed: 77)
        var used = Set<String>(), frames = 0
        for _ in 0..<500 where frames < 30 {
            var repeats = [1, 4, 8], position = 0, cases = Set<String>()
            var blocks: [[UInt8]] = [], previous: (Frames.Table, Frames.Table, Frames.Table)?
            for index in 0..<2 {
                let runs = [Int.random(in: 1...2, using: &generator)] + (0..<13).map { _ in Int.random(in: 0...2, using: &generator) }
                let plan = Frames.repeatOffsetPlan(literalRuns: runs, using: &generator, repeats: &repeats,
                                                   position: &position, used: &cases)
                let literals = (0..<plan.reduce(0) { $0 + $1.literalLength }).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let modes: (Frames.Mode, Frames.Mode, Frames.Mode) = index == 0
                    ? (.predefined, .predefined, .predefined) : (.repeated, .repeated, .repeated)
                let tables = Frames.tables(modes, previous: previous)
                guard !plan.isEmpty, let body = Frames.block(literals: literals, plan, modes: modes, tables: tables) else { break }
                blocks.append(body)
                previous = tables
            }
            guard blocks.count == 2 else { continue }  // the predefined tables cannot spell every plan
            let frame = Frames.frame(blocks, size: position)
            let expected = try #require(Self.libzstd(frame, size: position), "libzstd refused a crafted frame")
            #expect(expected.count == position)
            #expect(try Self.decode(frame, size: position) == expected)
            used.formUnion(cases)
            frames += 1
        }
        #expect(frames == 30)
        #expect(used.count == 6, "\(used.sorted())")

        // Offset value 3 without literals when the last offset is 1: offset 0, which both refuse.
        var refused = false
        for literalLength in 1...3 {
            for matchLength in 3...34 where !refused {
                let plan = [Frames.Sequence(literalLength: literalLength, offsetValue: 4, matchLength: matchLength),
                            Frames.Sequence(literalLength: 0, offsetValue: 3, matchLength: matchLength)]
                let tables = Frames.tables((.predefined, .predefined, .predefined), previous: nil)
                guard let body = Frames.block(literals: [UInt8](repeating: 7, count: literalLength), plan,
                                              modes: (.predefined, .predefined, .predefined), tables: tables) else { continue }
                let size = literalLength + 2 * matchLength
                let frame = Frames.frame([body], size: size)
                #expect(Self.libzstd(frame, size: size) == nil)
                #expect(throws: DecodeError.badOffset) { try Self.decode(frame, size: size) }
                refused = true
            }
        }
        #expect(refused)
    }

    /// Two blocks: RLE tables for all three codes, then RLE literals and the tables repeated; 240 bytes.
    static func rleFrame() throws -> [UInt8] {
        // Literal length code 1 (1 literal), offset code 0 (the last offset, value 1), match length code 2 (5).
        let modes: (Frames.Mode, Frames.Mode, Frames.Mode) = (.rle(1), .rle(0), .rle(2))
        let tables = Frames.tables(modes, previous: nil)
        let plan = [Frames.Sequence](repeating: .init(literalLength: 1, offsetValue: 1, matchLength: 5), count: 20)
        let first = try #require(Frames.block(literals: Array("zstd RLE tables here".utf8), plan, modes: modes, tables: tables))
        let again: (Frames.Mode, Frames.Mode, Frames.Mode) = (.repeated, .repeated, .repeated)
        let second = try #require(Frames.block(literals: [UInt8](repeating: 0x2E, count: 20), plan, modes: again,
                                               tables: Frames.tables(again, previous: tables), rleLiterals: true))
        return Frames.frame([first, second], size: 240)
    }

    /// RLE tables and literals, and repeated tables, against libzstd; a repeat mode with no table before it.
    @Test func rleAndRepeatedTables() throws {
        let frame = try Self.rleFrame()
        #expect(Frames.census(frame).isSuperset(of: ["RLE literals", "literal lengths RLE", "offsets RLE",
                                                     "match lengths RLE", "literal lengths repeat"]))
        let expected = try #require(Self.libzstd(frame, size: 240))
        #expect(expected.count == 240)
        #expect(try Self.decode(frame, size: 240) == expected)
        // A repeat mode with no table before it is an error.
        let repeated: (Frames.Mode, Frames.Mode, Frames.Mode) = (.repeated, .repeated, .repeated)
        let orphan = try #require(Frames.block(literals: [1], [.init(literalLength: 1, offsetValue: 1, matchLength: 5)],
                                               modes: repeated, tables: Frames.tables((.rle(1), .rle(0), .rle(2)), previous: nil)))
        #expect(Self.libzstd(Frames.frame([orphan], size: 6), size: 6) == nil)
        #expect(throws: DecodeError.badHeader) { try Self.decode(Frames.frame([orphan], size: 6), size: 6) }
    }

    /// What libzstd makes of the kernel and of other data, with the crafted RLE frame, uses every block type,
    /// literals section type and sequence table mode (the decoding tests above decode all of it).
    @Test func theTestInputsUseEveryFeature() throws {
        let kernel = try Fixtures.kernel("6.12")
        var features = Frames.census(Array(try Fixtures.rawPayload(ofImage: kernel.vmlinuz).dropLast(4)))
        var generator = SeededGenerator(seed: 3)
        let inputs: [[UInt8]] = [
            (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) },
            [UInt8](repeating: 0, count: 1 << 20),
            (0..<100_000).map { _ in UInt8.random(in: 0...3, using: &generator) },
            syntheticKernelLikeData(count: 1_000_000, seed: 3),
        ]
        for input in inputs {
            for level in [1, 19] {
                let payload = try input.withUnsafeBytes { try Payload.compress($0, with: .zstd, options: .init(level: level)) }
                features.formUnion(Frames.census(Array(payload.dropLast(4))))
            }
        }
        features.formUnion(Frames.census(try Self.rleFrame()))
        var wanted: Set<String> = ["raw block", "RLE block", "compressed block", "raw literals", "RLE literals",
                                   "Huffman literals, 1 stream", "Huffman literals, 4 streams", "no sequences"]
        for table in ["literal lengths", "offsets", "match lengths"] {
            for mode in ["predefined", "RLE", "FSE", "repeat"] { wanted.insert("\(table) \(mode)") }
        }
        #expect(features.contains { $0.hasPrefix("treeless literals") })
        #expect(wanted.subtracting(features).isEmpty, "not covered: \(wanted.subtracting(features).sorted())")
    }

    /// Thousands of truncations and byte changes of a real payload (kernel code, level 19, checksummed): every
    /// one decodes to the original or is refused, none writes past the output.
    @Test func fuzzingARealPayload() throws {
        let content = Array(try Fixtures.bytes(try Fixtures.kernel("6.1").payload)[4_000_000..<4_200_000])
        let payload = try content.withUnsafeBytes { try Payload.compress($0, with: .zstd, options: .init(level: 19)) }
        let good = Array(payload.dropLast(4))
        let tally = DecoderHarness.fuzz(good, original: content, rounds: 4_000, seed: 99) { bad, round throws(DecodeError) in
            let size = round % 3 == 0 ? content.count + 4096 : content.count
            return try Self.decode(bad, size: size)
        }
        #expect(tally.decodedWrong == 0)
        #expect(tally.truncationsRejected == tally.truncations)
        print("zstd fuzz, real payload: \(tally.rejected) of \(tally.rounds) rejected")
    }
}
