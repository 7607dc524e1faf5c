import ElfKit
import Testing
import TestSupport

/// Walks truncations and mutations of the small real ELF through everything ElfKit does with a vmlinux.
/// Success or a typed error are both fine; a trap ends the test process, which is the failure this looks for.
@Suite struct FuzzTests {
    /// Runs the whole pipeline; returns whether the input was accepted throughout.
    @discardableResult
    static func exercise(_ bytes: [UInt8]) -> Bool {
        guard let elf = try? TinyELF.parse(bytes) else { return false }
        _ = try? elf.kernelRelease()
        var accepted = true
        if let stripped = try? elf.stripped() {
            var total = 0
            stripped.forEachChunk { total += $0.count }
            #expect(total == stripped.size)
        } else {
            accepted = false
        }
        for rules in [RelocsRules.linux6_1, .linux6_15] {
            if let table = try? RelocationTable(collecting: elf, rules: rules) {
                #expect(table.serialized.count == 4 * (2 + table.r64.count + table.r32.count
                                                       + (rules.hasInverseTable ? 1 + table.inverse32.count : 0)))
            } else {
                accepted = false
            }
        }
        return accepted
    }

    @Test func everyTruncation() throws {
        let bytes = try TinyELF.bytes()
        #expect(Self.exercise(bytes))
        // The section header table is at the end, so every strict prefix must be refused.
        for length in 0..<bytes.count {
            #expect(!Self.exercise(Array(bytes[0..<length])), "prefix of \(length) bytes was accepted")
        }
    }

    @Test func bitFlipsAndOverwrites() throws {
        let original = try TinyELF.bytes()
        let elf = try TinyELF.parse(original)
        // Aim most mutations at the structures the reader interprets.
        var regions: [Range<Int>] = [0..<64, 64..<64 + 56 * elf.programHeaders.count,
                                     Int(elf.header.sectionHeaderOffset)..<original.count]
        for section in elf.sections where [ELF.SectionType.rela, ELF.SectionType.symtab, ELF.SectionType.strtab]
            .contains(section.type) {
            regions.append(Int(section.offset)..<Int(section.offset + section.size))
        }
        var generator = SeededGenerator(seed: 0x6D6B_627A)
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let region = round % 5 == 0 ? 0..<bytes.count : regions.randomElement(using: &generator)!
                let at = Int.random(in: region, using: &generator)
                if Bool.random(using: &generator) {
                    bytes[at] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                } else {
                    bytes[at] = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0x40].randomElement(using: &generator)!
                }
            }
            if Self.exercise(bytes) { accepted += 1 }
        }
        // Many mutations hit bytes that do not matter; the test is that none of them trapped.
        #expect(accepted > 1_000)
    }
}
