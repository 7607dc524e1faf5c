import ElfKit
import Testing
import TestSupport

@Suite struct ELFReaderTests {
    @Test func readsTheTinyKernelsHeadersAndSections() throws {
        let elf = try ELFFile(path: Fixtures.tinyVmlinux)
        #expect(elf.header.type == ELF.FileType.executable.rawValue)
        #expect(elf.header.entry == 0xffff_ffff_8100_0000)
        #expect(elf.programHeaders.first?.physicalAddress == 0x100_0000)
        #expect(elf.programHeaders.filter { $0.type == ELF.SegmentType.load }.count == 4)
        let names = elf.sections.map(\.name)
        #expect(names.prefix(7) == ["", ".text", ".rodata", ".notes", ".data", ".data..percpu", ".bss"])
        #expect(names.contains(".rela.data..percpu") && names.contains(".symtab") && names.contains(".comment"))
        let percpu = try #require(elf.section(named: ".data..percpu"))
        #expect(percpu.address == 0 && percpu.isAllocated)
        #expect(try elf.firstSymbol(named: "__per_cpu_load")?.value == 0xffff_ffff_8100_1000)
        #expect(try elf.kernelRelease() == "6.1.0-tiny")
        #expect(RelocationTable.rules(for: elf) == .linux6_1)
    }

    @Test func extendedSectionNumberingIsResolvedFromSectionZero() throws {
        var bytes = try TinyELF.bytes()
        let original = try TinyELF.parse(bytes)
        let shoff = Int(original.header.sectionHeaderOffset)
        // e_shnum = 0 → count in section 0's sh_size; e_shstrndx = SHN_XINDEX → index in its sh_link.
        bytes.put(UInt16(0), at: 0x3C)
        bytes.put(UInt16(0xFFFF), at: 0x3E)
        bytes.put(UInt64(original.sections.count), at: shoff + 32)
        bytes.put(UInt32(original.sectionNameTableIndex), at: shoff + 40)
        let extended = try TinyELF.parse(bytes)
        #expect(extended.sections.map(\.name) == original.sections.map(\.name))
        #expect(extended.sectionNameTableIndex == original.sectionNameTableIndex)
    }

    @Test func kernelReleasePicksTheRelocsGeneration() {
        #expect(RelocsRules(version: "6.1.0-53-cloud-amd64") == .linux6_1)
        #expect(RelocsRules(version: "6.11.9") == .linux6_1)
        #expect(RelocsRules(version: "6.12.107+deb12-cloud-amd64") == .linux6_12)
        #expect(RelocsRules(version: "6.14") == .linux6_12)
        #expect(RelocsRules(version: "6.15.0-rc1") == .linux6_15)
        #expect(RelocsRules(version: "7.0") == .linux6_15)
        #expect(RelocsRules(version: "5.10.0") == .linux6_1)
        #expect(RelocsRules(version: "banana") == nil)
    }
}
