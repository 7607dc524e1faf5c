import Compressors
import ElfKit
import Foundation
import Testing
import TestSupport

@Suite struct PayloadCommandTests {
    @Test func tinyKernelPayloadIsStripPlusRelocsCompressed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let result = try CommandRunner.run(["payload", Fixtures.tinyVmlinux, "--compress", "lz4"], in: dir.path)
        #expect(result.status == 0 && result.stderr.isEmpty)
        let payload = try Fixtures.bytes(dir.file("vmlinux.bin.lz4"))
        let (algorithm, content) = try payload.withUnsafeBytes { try Payload.decompress($0) }
        let elf = try ELFFile(path: Fixtures.tinyVmlinux)
        #expect(algorithm == .lz4)
        let expected = try elf.stripped().bytes + RelocationTable(collecting: elf, rules: .linux6_1).serialized
        #expect(content == expected)
    }

    @Test func badSettingsAreUsageErrors() throws {
        #expect(try CommandRunner.run(["payload", Fixtures.tinyVmlinux, "--compress", "brotli"]).status == 2)
        #expect(try CommandRunner.run(["payload", Fixtures.tinyVmlinux, "--compress", "zstd", "--level", "23"]).status == 2)
        #expect(try CommandRunner.run(["payload", Fixtures.tinyVmlinux, "--threads", "0"]).status == 2)
    }

    @Test func aRelocsFileThatIsNotATableIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try Data([1, 2, 3, 4, 5, 6]).write(to: URL(fileURLWithPath: dir.file("bad.relocs")))
        let result = try CommandRunner.run(["payload", Fixtures.tinyVmlinux, "--relocs", dir.file("bad.relocs"),
                                            "-o", dir.file("out")])
        #expect(result.status == 1)
        #expect(result.stderr == "mkbzimage: \(dir.file("bad.relocs")): not a relocation table of the 6.1-6.11 (three "
                + "tables) relocs tool (little-endian u32 words 0, R64…, 0, INV32…, 0, R32…)\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
    }

    /// The whole 6.12 payload step: our strip, the table from the build (here: the tail of the kernel-built
    /// payload, as --relocs FILE), and our zstd give the payload inside Debian's 6.12 vmlinuz byte for byte.
    @Test func debian612PayloadIsTheKernelBuiltOne() throws {
        let kernel = try Fixtures.kernel("6.12")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let refused = try CommandRunner.run(["payload", kernel.vmlinux, "--compress", "zstd", "-o", dir.file("p")])
        #expect(refused.status == 1 && refused.stderr.contains("--relocs FILE"))

        let content = try Fixtures.bytes(kernel.payload)
        let stripSize = try ELFFile(path: kernel.vmlinux).stripped().size
        try Data(content[stripSize...]).write(to: URL(fileURLWithPath: dir.file("vmlinux.relocs")))
        let result = try CommandRunner.run(["payload", kernel.vmlinux, "--compress", "zstd",
                                            "--relocs", dir.file("vmlinux.relocs"), "-o", dir.file("vmlinux.bin.zst")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Fixtures.bytes(dir.file("vmlinux.bin.zst")) == (try Fixtures.rawPayload(ofImage: kernel.vmlinuz)))
    }
}
