import Foundation
import Testing
import TestSupport

@Suite struct ImageCommandTests {
    @Test(arguments: ["6.1", "6.12"])
    func extractGivesTheKernelBuildsFiles(series: String) throws {
        let kernel = try Fixtures.kernel(series)
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let result = try CommandRunner.run(["extract", kernel.vmlinuz, "--vmlinux", dir.file("vmlinux.bin"),
                                            "--relocs", dir.file("vmlinux.relocs")])
        #expect(result.status == 0, "\(result.stderr)")
        let elf = try Fixtures.bytes(dir.file("vmlinux.bin")), relocs = try Fixtures.bytes(dir.file("vmlinux.relocs"))
        #expect(elf == (try Fixtures.bytes(kernel.objcopy)))
        #expect(elf + relocs == (try Fixtures.bytes(kernel.payload)))
        // For 6.1 the table is also what our relocs collects from the vmlinux.
        if series == "6.1" {
            let ours = try CommandRunner.run(["relocs", kernel.vmlinux, "-o", "-"])
            #expect(ours.stdout == relocs)
        }
    }

    @Test func dumpHeaderTextAndJSON() throws {
        let kernel = try Fixtures.kernel("6.1")
        let text = try CommandRunner.run(["--dump-header", kernel.vmlinuz])
        #expect(text.status == 0)
        let output = String(decoding: text.stdout, as: UTF8.self)
        #expect(output.contains("init_size") && output.contains("0x3377000") && output.contains("LOADED_HIGH"))
        #expect(output.contains("crc32: stored 0x681f584c, computed 0x681f584c — ok"))
        let json = try CommandRunner.run(["dump-header", kernel.vmlinuz, "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        #expect(object["setup_sects"] as? Int == 39 && object["version"] as? Int == 0x20F)
        #expect(object["payload_length"] as? Int == 0xD6_2C33 && object["compression"] as? String == "lz4")
    }

    @Test func badImagesExitWith1() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var generator = SeededGenerator(seed: 5)
        try Data((0..<50_000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: dir.file("random")))
        try Data().write(to: URL(fileURLWithPath: dir.file("empty")))
        let dump = try CommandRunner.run(["--dump-header", dir.file("random")])
        #expect(dump.status == 1 && String(decoding: dump.stdout, as: UTF8.self).contains("error: no \"HdrS\""))
        let empty = try CommandRunner.run(["--dump-header", dir.file("empty")])
        #expect(empty.status == 1 && empty.stderr == "mkbzimage: \(dir.file("empty")): empty file, not a bzImage\n")
        let extract = try CommandRunner.run(["extract", dir.file("random"), "--vmlinux", dir.file("out")])
        #expect(extract.status == 1 && extract.stderr.hasPrefix("mkbzimage: \(dir.file("random")): "))
        #expect(extract.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
    }

    @Test func extractRefusesADamagedPayload() throws {
        let kernel = try Fixtures.kernel("6.12")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var bytes = try Fixtures.bytes(kernel.vmlinuz)
        for i in 0..<16 { bytes[0x60_0000 + i] ^= 0x5A }  // mid-payload; zstd's checksum catches it
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("damaged")))
        let result = try CommandRunner.run(["extract", dir.file("damaged"), "--vmlinux", dir.file("out")])
        #expect(result.status == 1 && result.stderr.contains("corrupt zstd payload"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("out")))
    }
}
