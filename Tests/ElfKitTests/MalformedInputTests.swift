import ElfKit
import Testing
import TestSupport

/// Bad input is a typed error naming what is wrong, never a trap.
@Suite struct MalformedInputTests {
    @Test func emptyFile() {
        #expect(throws: ELFError.empty) { try TinyELF.parse([]) }
    }

    @Test func randomBytes() {
        var generator = SeededGenerator(seed: 1)
        let noise = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(throws: ELFError.notELF) { try TinyELF.parse(noise) }
    }

    @Test func thirtyTwoBitELF() throws {
        var bytes = try TinyELF.bytes()
        bytes[4] = 1  // ELFCLASS32
        #expect(throws: ELFError.unsupported(field: "EI_CLASS", value: 1, expected: "ELFCLASS64 (this is a 32-bit ELF)")) {
            try TinyELF.parse(bytes)
        }
    }

    @Test func otherMachine() throws {
        var bytes = try TinyELF.bytes()
        bytes.put(UInt16(183), at: 0x12)  // EM_AARCH64
        #expect(throws: ELFError.unsupported(field: "e_machine", value: 183, expected: "EM_X86_64 (62)")) {
            try TinyELF.parse(bytes)
        }
    }

    @Test func sectionOffsetPastTheEnd() throws {
        var bytes = try TinyELF.bytes()
        let elf = try TinyELF.parse(bytes)
        let text = try #require(elf.section(named: ".text"))
        bytes.put(UInt64(0xFFFF_FFFF_FFFF_F000), at: Int(elf.header.sectionHeaderOffset) + text.index * 64 + 24)
        #expect(throws: ELFError.truncated(what: "section 1 data (sh_offset/sh_size)", offset: 0xFFFF_FFFF_FFFF_F000,
                                           length: text.size, fileSize: UInt64(bytes.count))) {
            try TinyELF.parse(bytes)
        }
    }

    @Test func segmentOffsetPastTheEnd() throws {
        var bytes = try TinyELF.bytes()
        bytes.put(UInt64(bytes.count), at: 64 + 8)  // program header 0's p_offset
        let error = #expect(throws: ELFError.self) { try TinyELF.parse(bytes) }
        #expect(String(describing: error!).contains("program header 0"))
    }

    @Test func absurdSectionCount() throws {
        var bytes = try TinyELF.bytes()
        let shoff = Int(try TinyELF.parse(bytes).header.sectionHeaderOffset)
        bytes.put(UInt16(0), at: 0x3C)
        bytes.put(UInt64(1) << 40, at: shoff + 32)  // extended count: 2^40 sections
        let error = #expect(throws: ELFError.self) { try TinyELF.parse(bytes) }
        guard case .truncated(let what, _, _, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(what == "section header table (1099511627776 entries)")
    }

    @Test func sectionNameTableIndexOutOfRange() throws {
        var bytes = try TinyELF.bytes()
        bytes.put(UInt16(200), at: 0x3E)
        #expect(throws: ELFError.badIndex(what: "section name table index (e_shstrndx)", index: 200, count: 17)) {
            try TinyELF.parse(bytes)
        }
    }

    /// Twenty cuts across the real 588 MB vmlinux: headers, segments, symbols, relocations, DWARF, the section
    /// header table at the end. A cut file is a mapped prefix, so nothing is copied.
    @Test func debianVmlinuxTruncatedAtTwentyPoints() throws {
        let kernel = try Fixtures.kernel("6.1")
        let file = try MappedFile(path: kernel.vmlinux)
        let elf = try ELFFile(file)
        let size = file.bytes.count
        func middle(_ name: String) throws -> Int {
            let s = try #require(elf.section(named: name))
            return Int(s.offset + s.size / 2)
        }
        let shoff = Int(elf.header.sectionHeaderOffset)
        let cuts = [1, 3, 4, 16, 63, 64, 64 + 56 * elf.programHeaders.count - 1, 1 << 20, 50 << 20,
                    try middle(".rela.text"), try middle(".symtab"), try middle(".strtab"), try middle(".debug_info"),
                    try middle(".debug_str"), shoff - 1, shoff, shoff + 63, shoff + 64 * 40, size - 64, size - 1]
        #expect(Set(cuts).count == 20)
        for cut in cuts {
            #expect(throws: ELFError.self, "cut at \(cut)") { try ELFFile(file.prefix(cut)) }
        }
    }
}
