import Compressors
import Foundation
import StubCore
import Testing
import TestSupport

@Suite struct InflateTests {
    static func gunzip(_ payload: [UInt8], size: Int) throws(DecodeError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var workspace = [UInt8](repeating: 0, count: Inflate.workspaceSize)
        var result: Result<Int, DecodeError> = .success(0)
        payload.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                workspace.withUnsafeMutableBytes { ws in
                    result = Result { () throws(DecodeError) in try Inflate.gunzip(input, into: out, workspace: ws) }
                }
            }
        }
        return Array(output.prefix(try result.get()))
    }

    /// The Debian 6.1 `vmlinux.bin ++ relocs` through GNU gzip -9 (the kernel's command) and through our gzip
    /// (libdeflate), decoded by StubCore.
    @Test func decodesKernelPayloadsFromGzipAndLibdeflate() throws {
        let kernel = try Fixtures.kernel("6.1")
        let input = try Fixtures.bytes(kernel.payload)
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        #expect(try shell("gzip -n -9 < \(kernel.payload) > \(dir.file("p.gz"))") == 0)
        #expect(try Self.gunzip(try Fixtures.bytes(dir.file("p.gz")), size: input.count) == input)
        let ours = try input.withUnsafeBytes { try Payload.compress($0, with: .gzip, options: .init(threads: 2)) }
        #expect(try Self.gunzip(ours, size: input.count) == input)
    }

    @Test func storedFixedAndEdgeCases() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // gzip -1 on incompressible data gives stored blocks; tiny inputs give fixed-code blocks.
        var generator = SeededGenerator(seed: 4)
        let cases: [[UInt8]] = [[], [7], Array("hello hello hello hello".utf8),
                                (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) },
                                [UInt8](repeating: 0, count: 1 << 20)]
        for (index, data) in cases.enumerated() {
            try Data(data).write(to: URL(fileURLWithPath: dir.file("in\(index)")))
            for level in ["-1", "-9"] {
                #expect(try shell("gzip -c \(level) < \(dir.file("in\(index)")) > \(dir.file("out.gz"))") == 0)
                #expect(try Self.gunzip(try Fixtures.bytes(dir.file("out.gz")), size: data.count) == data,
                        "case \(index) \(level)")
            }
        }
    }

    @Test func corruptStreamsAreErrorsNeverOverflows() throws {
        let data = syntheticKernelLikeData(count: 300_000, seed: 8)
        let good = try data.withUnsafeBytes { try Payload.compress($0, with: .gzip) }
        var generator = SeededGenerator(seed: 12)
        var rejected = 0
        for round in 0..<2_000 {
            var bad = good
            if round % 4 == 0 {
                bad = Array(bad.prefix(Int.random(in: 0...bad.count, using: &generator)))
            } else {
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bad[Int.random(in: 10..<bad.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
                }
            }
            do { _ = try Self.gunzip(bad, size: data.count) } catch { rejected += 1 }
        }
        // CRC-32 and ISIZE catch what decodes structurally.
        #expect(rejected == 2_000)
    }
}
