import Compressors
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

    /// The 6.1 vmlinuz with its payload replaced (in place, payload_length patched), so extract can be run on
    /// every format without compressing a whole kernel.
    static func image(withPayload payload: [UInt8]) throws -> [UInt8] {
        var image = try Fixtures.bytes(try Fixtures.kernel("6.1").vmlinuz)
        let range = Fixtures.payloadRange(ofImage: image)
        guard payload.count <= range.count else {
            throw TestFailure(description: "a \(payload.count)-byte payload does not fit the vmlinuz's \(range.count)")
        }
        image.replaceSubrange(range.lowerBound..<range.lowerBound + payload.count, with: payload)
        image.put(UInt32(payload.count), at: 0x24C)  // payload_length
        return image
    }

    /// extract decodes all seven formats with the stub's decoders: the tiny kernel's stripped ELF plus a table,
    /// compressed by the C libraries, comes back split where the ELF ends.
    @Test func extractDecodesEveryFormat() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let elf = try Fixtures.bytes(Fixtures.tinyVmlinuxObjcopy)
        let relocs = syntheticKernelLikeData(count: 30_000, seed: 8) + [0, 0, 0, 0]
        let content = elf + relocs
        for algorithm in Algorithm.allCases {
            let payload = try content.withUnsafeBytes { try Payload.compress($0, with: algorithm) }
            let path = dir.file(algorithm.name)
            try Data(try Self.image(withPayload: payload)).write(to: URL(fileURLWithPath: path))
            let result = try CommandRunner.run(["extract", path, "--vmlinux", dir.file("elf"),
                                                "--relocs", dir.file("relocs")])
            #expect(result.status == 0, "\(algorithm): \(result.stderr)")
            #expect(try Fixtures.bytes(dir.file("elf")) == elf, "\(algorithm)")
            #expect(try Fixtures.bytes(dir.file("relocs")) == relocs, "\(algorithm)")
            guard algorithm.appendsSizeTrailer else { continue }  // gzip's ISIZE is checked by the decoder itself
            // A size trailer one byte too large or too small is refused, naming the file and what went wrong.
            let corrupt = "corrupt \(algorithm.name) payload: "
            for (delta, message) in [
                (1, corrupt + "decoded to \(content.count) bytes, its size trailer says \(content.count + 1)"),
                (-1, corrupt + "it decodes past the \(content.count - 1) bytes its size trailer declares"),
            ] {
                var wrong = payload
                wrong.put(UInt32(content.count + delta), at: wrong.count - 4)
                try Data(try Self.image(withPayload: wrong)).write(to: URL(fileURLWithPath: path))
                let refused = try CommandRunner.run(["extract", path, "--vmlinux", dir.file("wrong")])
                #expect(refused.status == 1 && refused.stderr == "mkbzimage: \(path): \(message)\n",
                        "\(algorithm) \(delta)")
                #expect(!FileManager.default.fileExists(atPath: dir.file("wrong")))
            }
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
