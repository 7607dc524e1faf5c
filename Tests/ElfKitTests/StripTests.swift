import ElfKit
import Testing
import TestSupport

@Suite struct StripTests {
    @Test func tinyKernelStripIsObjcopysBytes() throws {
        let elf = try ELFFile(path: Fixtures.tinyVmlinux)
        let stripped = try elf.stripped()
        #expect(stripped.bytes == (try Fixtures.bytes(Fixtures.tinyVmlinuxObjcopy)))
        // Loaded sections and the two unloaded non-debug ones stay; symbols, relocations and .comment go.
        #expect(stripped.keptSections == [".text", ".rodata", ".notes", ".data", ".data..percpu", ".bss",
                                          ".mynote", ".extra"])
        #expect(stripped.size == stripped.bytes.count)
    }

    @Test func strippedOutputIsAValidELFWithTheSameSegments() throws {
        let elf = try ELFFile(path: Fixtures.tinyVmlinux)
        let out = try ELFFile(MappedFile(bytes: try elf.stripped().bytes))
        #expect(out.programHeaders == elf.programHeaders)
        #expect(out.sections.map(\.name) == ["", ".text", ".rodata", ".notes", ".data", ".data..percpu", ".bss",
                                             ".mynote", ".extra", ".shstrtab"])
        for name in [".text", ".rodata", ".data", ".data..percpu"] {
            let before = try #require(elf.section(named: name)), after = try #require(out.section(named: name))
            #expect(Array(out.data(of: after)) == Array(elf.data(of: before)))
        }
    }

    @Test(arguments: ["6.1", "6.12"])
    func debianKernelStripIsObjcopyAndThePayloadHead(series: String) throws {
        let kernel = try Fixtures.kernel(series)
        let elf = try ELFFile(path: kernel.vmlinux)
        let stripped = try elf.stripped().bytes
        let objcopy = try Fixtures.bytes(kernel.objcopy)
        #expect(stripped.count == objcopy.count)
        #expect(stripped == objcopy, "strip of \(series) differs from objcopy -R .comment -S")
        let payload = try MappedFile(path: kernel.payload)
        #expect(payload.bytes.count > stripped.count)
        #expect(stripped.elementsEqual(payload.bytes.buffer.prefix(stripped.count)),
                "strip of \(series) differs from the head of the kernel-built payload")
    }

    @Test func bfdMergesNamesThatAreSuffixesOfOtherNames() throws {
        // .text lives inside .init.text and .data inside .init.data, as in the Debian kernels' .shstrtab.
        let elf = try ELFFile(path: try Fixtures.kernel("6.1").objcopy)
        let table = elf.data(of: elf.sections[elf.sectionNameTableIndex])
        #expect(Array(table.prefix(11)) == Array("\0.shstrtab\0".utf8))
        let text = try #require(elf.section(named: ".text")), initText = try #require(elf.section(named: ".init.text"))
        #expect(text.nameOffset == initText.nameOffset + 5)
        #expect(elf.sections.count == 39)  // 82 in vmlinux, as in the docs
    }
}
