/// One `Elf64_Rela` entry.
public struct Relocation: Sendable, Equatable {
    public var offset: UInt64
    public var info: UInt64
    public var addend: Int64
    public var type: UInt32 { UInt32(truncatingIfNeeded: info) }
    public var symbolIndex: Int { Int(info >> 32) }
}

/// A `SHT_RELA` section: its entries, the section they patch (`sh_info`) and the symbol table they name
/// (`sh_link`), all checked once.
public struct RelocationSection: @unchecked Sendable {
    /// Keeps the mapping the views below point into alive.
    let owner: MappedFile
    public let section: SectionHeader
    public let target: SectionHeader
    public let count: Int
    let entries: UnsafeRawBufferPointer

    public init(_ section: SectionHeader, in elf: ELFFile) throws(ELFError) {
        count = try section.entryCount(ofSize: ELF.Size.rela, types: [ELF.SectionType.rela],
                                       kind: "relocation section (SHT_RELA)")
        self.section = section
        owner = elf.file
        target = try elf.section(at: section.info, referencedBy: "target section (sh_info) of \(section.name)")
        entries = elf.data(of: section)
    }

    /// The symbol table this section's entries index (`sh_link`).
    public func symbolTable(in elf: ELFFile) throws(ELFError) -> SymbolTable {
        let symtab = try elf.section(at: section.link, referencedBy: "symbol table (sh_link) of \(section.name)")
        return try SymbolTable(symtab, in: elf)
    }

    @inline(__always)
    public subscript(index: Int) -> Relocation {
        precondition(index >= 0 && index < count)
        let view = ByteView(entries)
        let base = index * ELF.Size.rela
        return Relocation(offset: view.u64(base), info: view.u64(base + 8), addend: Int64(bitPattern: view.u64(base + 16)))
    }
}
