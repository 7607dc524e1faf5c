import ElfKit
import Foundation
import Testing
import TestSupport

/// The command line as users and scripts see it: outputs, exit codes, one-line errors, no partial files.
@Suite struct CLITests {
    @Test func stripWritesObjcopysBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let result = try CommandRunner.run(["strip", Fixtures.tinyVmlinux, "-o", dir.file("out.bin")])
        #expect(result.status == 0 && result.stderr.isEmpty)
        #expect(try Fixtures.bytes(dir.file("out.bin")) == (try Fixtures.bytes(Fixtures.tinyVmlinuxObjcopy)))
    }

    @Test func defaultOutputNamesAreTheKernelBuildsNames() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        #expect(try CommandRunner.run(["strip", Fixtures.tinyVmlinux], in: dir.path).status == 0)
        #expect(try CommandRunner.run(["relocs", Fixtures.tinyVmlinux], in: dir.path).status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.file("vmlinux.bin")))
        #expect(try Fixtures.bytes(dir.file("vmlinux.relocs")).count == 4 * (3 + 3 + 1 + 3))
    }

    @Test func relocsToStdoutAndKernelVersionOption() throws {
        let table61 = try CommandRunner.run(["relocs", Fixtures.tinyVmlinux, "-o", "-"])
        #expect(table61.status == 0)
        let expected = try RelocationTable(collecting: try ELFFile(path: Fixtures.tinyVmlinux), rules: .linux6_1)
        #expect(table61.stdout == expected.serialized)
        let table615 = try CommandRunner.run(["relocs", Fixtures.tinyVmlinux, "--kernel-version", "6.15", "-o", "-"])
        #expect(table615.status == 0)
        #expect(table615.stdout.count == 4 * (2 + 3 + 4))
    }

    @Test func usageErrorsExitWith2() throws {
        #expect(try CommandRunner.run(["strip"]).status == 2)
        #expect(try CommandRunner.run(["build"]).status == 2)
        #expect(try CommandRunner.run(["--no-such-option", Fixtures.tinyVmlinux]).status == 2)
        // build is the default command: a word that is no subcommand is a vmlinux to build.
        let missing = try CommandRunner.run(["frobnicate", "-o", "/dev/null"])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("mkbzimage: frobnicate:"), "\(missing.stderr)")
        #expect(try CommandRunner.run(["relocs", Fixtures.tinyVmlinux, "--kernel-version", "banana"]).status == 2)
        let help = try CommandRunner.run(["--help"])
        #expect(help.status == 0 && String(decoding: help.stdout, as: UTF8.self).contains("relocs"))
    }

    /// One line on stderr naming the file, exit 1, and no output file left behind.
    func expectRefused(_ arguments: [String], output: String, mentioning text: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try CommandRunner.run(arguments + ["-o", output])
        #expect(result.status == 1, "\(arguments)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "not one line: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("mkbzimage: \(arguments[1]): "), "\(result.stderr)", sourceLocation: sourceLocation)
        if let text { #expect(result.stderr.contains(text), "\(result.stderr)", sourceLocation: sourceLocation) }
        #expect(!FileManager.default.fileExists(atPath: output), "partial output left", sourceLocation: sourceLocation)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (output as NSString).deletingLastPathComponent)
        #expect(leftovers.allSatisfy { !$0.hasPrefix(".") }, "temporary file left: \(leftovers)",
                sourceLocation: sourceLocation)
    }

    @Test func badInputsAreRefusedWithOneLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let tiny = try Fixtures.bytes(Fixtures.tinyVmlinux)
        var generator = SeededGenerator(seed: 7)
        var elf32 = tiny
        elf32[4] = 1
        var pastEnd = tiny
        pastEnd.put(UInt64(1) << 40, at: 0x28)  // e_shoff
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "empty file"),
            ("random", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }, "not an ELF"),
            ("elf32", elf32, "32-bit"),
            ("past-end", pastEnd, "past the end"),
            ("truncated", Array(tiny.prefix(tiny.count / 2)), "truncated"),
        ]
        for (name, bytes, text) in cases {
            let input = dir.file(name)
            try Data(bytes).write(to: URL(fileURLWithPath: input))
            for command in ["strip", "relocs"] {
                try expectRefused([command, input], output: dir.file("\(name).\(command)"), mentioning: text)
            }
        }
        try expectRefused(["strip", dir.file("does-not-exist")], output: dir.file("x"), mentioning: "No such file")
        try expectRefused(["strip", dir.path], output: dir.file("y"), mentioning: "not a regular file")
    }

    /// `build --sbat FILE` takes SBAT CSV only (shim's version entry first, six fields an entry, no NUL), and only
    /// for an EFI image.
    @Test func sbatFilesAreChecked() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let cases: [(String, String, String)] = [
            ("no-version", "linux,1,The Linux Developers,linux,6.1,https://linux.org\n", "version entry"),
            ("short", "sbat,1,SBAT Version,sbat,1,https://example.invalid\nlinux,1\n", "entry 2 has fewer than the six"),
            ("nul", "sbat,1,SBAT Version,sbat,1,https://example.invalid\n\0", "version entry"),
        ]
        for (name, text, problem) in cases {
            let csv = dir.file(name), output = dir.file(name + ".img")
            try text.write(toFile: csv, atomically: true, encoding: .utf8)
            let result = try CommandRunner.run(["build", Fixtures.tinyVmlinux, "--sbat", csv, "-o", output])
            #expect(result.status == 1 && result.stderr.hasPrefix("mkbzimage: \(csv): not SBAT CSV")
                    && result.stderr.contains(problem) && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
        let noEFI = try CommandRunner.run(["build", Fixtures.tinyVmlinux, "--no-efi", "--sbat", dir.file("nul"), "-o", dir.file("x")])
        #expect(noEFI.status == 2 && noEFI.stderr.contains("--sbat"), "\(noEFI.stderr)")
    }

    @Test func inputIsNeverOverwritten() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let input = dir.file("vmlinux")
        try FileManager.default.copyItem(atPath: Fixtures.tinyVmlinux, toPath: input)
        let result = try CommandRunner.run(["strip", input, "-o", input])
        #expect(result.status == 1 && result.stderr.contains("refusing to overwrite the input"))
        #expect(try Fixtures.bytes(input) == (try Fixtures.bytes(Fixtures.tinyVmlinux)))
    }

    @Test func failedRunKeepsAnExistingOutputFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let output = dir.file("out")
        try Data("previous".utf8).write(to: URL(fileURLWithPath: output))
        let result = try CommandRunner.run(["strip", dir.file("missing"), "-o", output])
        #expect(result.status == 1)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "previous")
    }

    @Test func debian612RelocsIsRefusedWithWhereToGetTheTable() throws {
        let kernel = try Fixtures.kernel("6.12")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try expectRefused(["relocs", kernel.vmlinux], output: dir.file("relocs"), mentioning: "--relocs FILE")
        let result = try CommandRunner.run(["relocs", kernel.vmlinux, "-o", dir.file("relocs")])
        #expect(result.stderr.contains("--relocs-from BZIMAGE") && result.stderr.contains("vmlinux.relocs"))
    }

    /// `--relocs-from` takes the table from a bzImage only if its kernel is this vmlinux (same build); the error
    /// names the image. The three table sources exclude each other (a usage error).
    @Test func relocsFromAnotherBuildIsRefused() throws {
        let old = try Fixtures.kernel("6.1"), new = try Fixtures.kernel("6.12")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let output = dir.file("bzImage")
        let result = try CommandRunner.run(["build", new.vmlinux, "--relocs-from", old.vmlinuz, "-o", output])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("mkbzimage: \(old.vmlinuz): ") && result.stderr.contains("another build"),
                "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: output))
        let both = try CommandRunner.run(["build", new.vmlinux, "--relocs-from", new.vmlinuz, "--no-relocs", "-o", output])
        #expect(both.status == 2 && both.stderr.contains("exclude each other"), "\(both.stderr)")
    }

    @Test func debian61OutputsMatchTheKernelBuiltPayload() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        #expect(try CommandRunner.run(["strip", kernel.vmlinux, "-o", dir.file("vmlinux.bin")]).status == 0)
        #expect(try CommandRunner.run(["relocs", kernel.vmlinux, "-o", dir.file("vmlinux.relocs")]).status == 0)
        let joined = try Fixtures.bytes(dir.file("vmlinux.bin")) + (try Fixtures.bytes(dir.file("vmlinux.relocs")))
        #expect(joined == (try Fixtures.bytes(kernel.payload)))
        if kernel.version == "6.1.0-53" {  // the build our docs' figures come from
            #expect(try Fixtures.bytes(dir.file("vmlinux.relocs")).count == 810_584)
        }
    }

    /// The real vmlinux cut at twenty points, through the CLI: one copy, truncated further for each cut.
    @Test func debianVmlinuxTruncatedAtTwentyPoints() throws {
        let kernel = try Fixtures.kernel("6.1")
        let elf = try ELFFile(path: kernel.vmlinux)
        let size = elf.bytes.count
        let shoff = Int(elf.header.sectionHeaderOffset)
        let symtab = try #require(elf.section(named: ".symtab"))
        let rela = try #require(elf.section(named: ".rela.text"))
        let debug = try #require(elf.section(named: ".debug_info"))
        let cuts = [size - 1, size - 64, shoff + 64 * 41, shoff + 65, shoff, shoff - 1,
                    Int(symtab.offset + symtab.size / 2), Int(symtab.offset) + 1, Int(debug.offset + debug.size / 2),
                    Int(rela.offset + rela.size / 2), Int(rela.offset) + 7, 52 << 20, 30 << 20, 1 << 20, 4096,
                    120, 64, 63, 5, 1].sorted(by: >)
        #expect(Set(cuts).count == 20)
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let input = dir.file("vmlinux")
        try FileManager.default.copyItem(atPath: kernel.vmlinux, toPath: input)
        for cut in cuts {
            #expect(truncate(input, off_t(cut)) == 0)
            try expectRefused([cut % 2 == 0 ? "strip" : "relocs", input], output: dir.file("out"))
        }
    }
}
