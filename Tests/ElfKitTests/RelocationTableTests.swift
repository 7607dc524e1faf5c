import ElfKit
import Testing
import TestSupport

@Suite struct RelocationTableTests {
    // Hand-derived from Tests/Fixtures/tiny-vmlinux.S and its linker script (addresses from the link).
    static let r64: [UInt32] = [0x8100_0009, 0x8100_0081, 0x8100_1008]  // movabs, .data, percpu 8 + __per_cpu_load
    static let inverse32: [UInt32] = [0x8100_001D]                       // PC32 against percpu_var
    static let r32: [UInt32] = [0x8100_0003, 0x8100_0035, 0x8100_0089]  // 32S data_var, 32S _end, 32 __end_rodata

    @Test func tinyKernelTableFollowsThe61Rules() throws {
        let table = try RelocationTable(collecting: try ELFFile(path: Fixtures.tinyVmlinux), rules: .linux6_1)
        #expect(table.r64 == Self.r64)
        #expect(table.inverse32 == Self.inverse32)
        #expect(table.r32 == Self.r32)
        let words: [UInt32] = [0] + Self.r64 + [0] + Self.inverse32 + [0] + Self.r32
        #expect(table.serialized == words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
    }

    @Test func tinyKernelTableFollowsThe615Rules() throws {
        // 6.15 has no per-cpu handling: the .data..percpu entry keeps its section offset, the 32S against the
        // per-cpu symbol is an ordinary R32, and there is no inverse table.
        let table = try RelocationTable(collecting: try ELFFile(path: Fixtures.tinyVmlinux), rules: .linux6_15)
        #expect(table.r64 == [0x8, 0x8100_0009, 0x8100_0081])
        #expect(table.inverse32.isEmpty)
        #expect(table.r32 == [0x8100_0003, 0x8100_0016, 0x8100_0035, 0x8100_0089])
        let words: [UInt32] = [0, 0x8, 0x8100_0009, 0x8100_0081, 0, 0x8100_0003, 0x8100_0016, 0x8100_0035, 0x8100_0089]
        #expect(table.serialized == words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
    }

    @Test func emptyTablesAreTwelveZeroBytes() {
        #expect(RelocationTable(rules: .linux6_1, r64: [], inverse32: [], r32: []).serialized == [UInt8](repeating: 0, count: 12))
        #expect(RelocationTable(rules: .linux6_15, r64: [], inverse32: [], r32: []).serialized == [UInt8](repeating: 0, count: 8))
    }

    @Test func debian61TableIsThePayloadTail() throws {
        let kernel = try Fixtures.kernel("6.1")
        let elf = try ELFFile(path: kernel.vmlinux)
        #expect(RelocationTable.rules(for: elf) == .linux6_1)
        let table = try RelocationTable(collecting: elf, rules: .linux6_1)
        let bytes = table.serialized
        let payload = try MappedFile(path: kernel.payload)
        let strippedSize = try elf.stripped().size
        // The payload is exactly strip ++ relocs, so the table must fill the rest of it.
        #expect(payload.bytes.count == strippedSize + bytes.count)
        #expect(bytes.elementsEqual(payload.bytes.buffer.suffix(bytes.count)),
                "relocation table differs from the tail of the kernel-built payload")
        #expect(table.r64.count > 100_000 && table.inverse32.count > 1_000 && table.r32.count > 50_000)
        // Read back as the boot stub reads it (the same reader), the table is what was collected.
        #expect(bytes.withUnsafeBytes { RelocationTable(parsing: $0, rules: .linux6_1) } == table)
    }

    /// Parsing is the boot stub's reader: it gives back what serializing wrote, in either layout, and refuses
    /// bytes that are not one whole table of the layout asked for.
    @Test func parsingReadsBackWhatSerializingWrote() throws {
        let elf = try ELFFile(path: Fixtures.tinyVmlinux)
        for rules in [RelocsRules.linux6_1, .linux6_15] {
            let table = try RelocationTable(collecting: elf, rules: rules)
            #expect(table.serialized.withUnsafeBytes { RelocationTable(parsing: $0, rules: rules) } == table, "\(rules)")
            let empty = RelocationTable(rules: rules, r64: [], inverse32: [], r32: [])
            #expect(empty.serialized.withUnsafeBytes { RelocationTable(parsing: $0, rules: rules) } == empty, "\(rules)")
        }
        let twoRuns = try RelocationTable(collecting: elf, rules: .linux6_15).serialized
        #expect(twoRuns.withUnsafeBytes { RelocationTable(parsing: $0, rules: .linux6_1) } == nil)
        let words: [[UInt32]] = [[1, 0, 0, 0], [0, 0, 0, 0], [0, 5, 0]]  // a word before the table; a zero too many; a run short
        for table in words {
            let bytes = table.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
            #expect(bytes.withUnsafeBytes { RelocationTable(parsing: $0, rules: .linux6_1) } == nil, "\(table)")
        }
        #expect([UInt8](repeating: 0, count: 13).withUnsafeBytes { RelocationTable(parsing: $0, rules: .linux6_1) } == nil)
    }

    @Test func debian612IsRefusedBecauseItsRelocationsWereStripped() throws {
        let elf = try ELFFile(path: try Fixtures.kernel("6.12").vmlinux)
        #expect(RelocationTable.rules(for: elf) == .linux6_12)
        let error = #expect(throws: RelocsError.self) { try RelocationTable(collecting: elf, rules: .linux6_12) }
        guard case .stripped(let present) = error else { Issue.record("wrong error \(String(describing: error))"); return }
        #expect(!present.isEmpty && present.allSatisfy { $0.hasPrefix(".relaruntime_") })
        let message = String(describing: error!)
        #expect(message.contains("--relocs FILE") && message.contains("--relocs-from") && message.contains("vmlinux.relocs"))
    }

    // The kernel's tool dies on these; so do we, with a typed error.

    @Test func absoluteSymbolOutsideTheWhitelistIsRefused() throws {
        var bytes = try TinyELF.bytes()
        let at = try #require(TinyELF.offset(ofString: "__crc_tiny", in: bytes))
        bytes[at + 2] = UInt8(ascii: "x")  // "__xrc_tiny": absolute, neither S_ABS nor S_REL
        #expect(throws: RelocsError.invalidAbsolute(type: "R_X86_64_32", symbol: "__xrc_tiny")) {
            try RelocationTable(collecting: try TinyELF.parse(bytes), rules: .linux6_1)
        }
    }

    @Test func unsupportedRelocationTypeIsRefused() throws {
        var bytes = try TinyELF.bytes()
        let entry = try TinyELF.relocationOffset(".rela.text", entry: 1, in: bytes)
        bytes.put(UInt32(9), at: entry + 8)  // R_X86_64_GOTPCREL
        #expect(throws: RelocsError.unsupportedType(type: 9, section: ".rela.text", entry: 1)) {
            try RelocationTable(collecting: try TinyELF.parse(bytes), rules: .linux6_1)
        }
    }

    @Test func pc64AgainstAPerCPUSymbolIsRefused() throws {
        var bytes = try TinyELF.bytes()
        let entry = try TinyELF.relocationOffset(".rela.text", entry: 3, in: bytes)
        bytes.put(UInt32(24), at: entry + 8)  // the PC32 against percpu_var becomes PC64
        #expect(throws: RelocsError.perCPUPC64(symbol: "percpu_var")) {
            try RelocationTable(collecting: try TinyELF.parse(bytes), rules: .linux6_1)
        }
    }

    @Test func offsetOutsideTheTopOrBottom2GiBIsRefused() throws {
        var bytes = try TinyELF.bytes()
        let entry = try TinyELF.relocationOffset(".rela.data", entry: 0, in: bytes)
        bytes.put(UInt64(0x1_0000_0000), at: entry)
        #expect(throws: RelocsError.offsetDoesNotFit(offset: 0x1_0000_0000, section: ".rela.data", entry: 0)) {
            try RelocationTable(collecting: try TinyELF.parse(bytes), rules: .linux6_1)
        }
    }

    @Test func missingPerCPULoadIsRefused() throws {
        var bytes = try TinyELF.bytes()
        let at = try #require(TinyELF.offset(ofString: "__per_cpu_load", in: bytes))
        bytes[at + 2] = UInt8(ascii: "X")
        #expect(throws: RelocsError.perCPULoadMissing) {
            try RelocationTable(collecting: try TinyELF.parse(bytes), rules: .linux6_1)
        }
    }

    @Test func symbolIndexPastTheSymbolTableIsACorruptFileError() throws {
        var bytes = try TinyELF.bytes()
        let entry = try TinyELF.relocationOffset(".rela.text", entry: 0, in: bytes)
        bytes.put(UInt32(0xFFFF), at: entry + 12)  // r_info's symbol half
        let error = #expect(throws: RelocsError.self) {
            try RelocationTable(collecting: try TinyELF.parse(bytes), rules: .linux6_1)
        }
        guard case .elf(.badIndex) = error else { Issue.record("wrong error \(String(describing: error))"); return }
    }
}
