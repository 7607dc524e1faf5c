/// One `Elf64_Sym`.
public struct Symbol: Sendable, Equatable {
    public var nameOffset: UInt32
    public var info: UInt8
    public var other: UInt8
    /// `st_shndx` as stored (may be `SHN_XINDEX`; see `SymbolTable.sectionIndex(of:)`).
    public var sectionIndex: UInt16
    public var value: UInt64
    public var size: UInt64
}

/// A symbol table section with its string table and optional `SHT_SYMTAB_SHNDX` companion, all bounds-checked
/// once so that per-symbol reads are cheap (the kernel has hundreds of thousands).
public struct SymbolTable: @unchecked Sendable {
    /// Keeps the mapping the views below point into alive.
    let owner: MappedFile
    public let section: SectionHeader
    public let count: Int
    let entries: UnsafeRawBufferPointer
    /// The linked string table (`sh_link`).
    public let strings: UnsafeRawBufferPointer
    /// Extended section indices, one UInt32 per symbol, when the file has them.
    let extendedIndices: UnsafeRawBufferPointer?

    public init(_ section: SectionHeader, in elf: ELFFile) throws(ELFError) {
        count = try section.entryCount(ofSize: ELF.Size.symbol, types: [ELF.SectionType.symtab, ELF.SectionType.dynsym],
                                       kind: "symbol table")
        self.section = section
        owner = elf.file
        entries = elf.data(of: section)
        let stringSection = try elf.section(at: section.link, referencedBy: "string table (sh_link) of \(section.name)")
        guard stringSection.type == ELF.SectionType.strtab else {
            throw .malformed(what: "symbol table \(section.name)", detail: "sh_link does not name a string table")
        }
        strings = elf.data(of: stringSection)
        if let shndx = elf.sections.first(where: {
            $0.type == ELF.SectionType.symtabShndx && $0.link == UInt32(section.index)
        }) {
            guard shndx.size >= UInt64(count) * 4 else {
                throw .malformed(what: "section \(shndx.name)", detail: "holds fewer entries than \(section.name)")
            }
            extendedIndices = elf.data(of: shndx)
        } else {
            extendedIndices = nil
        }
    }

    /// The symbol at `index`, or a typed error naming `what` referred to it.
    @inline(__always)
    public func symbol(_ index: Int, referencedBy what: @autoclosure () -> String) throws(ELFError) -> Symbol {
        guard index >= 0, index < count else {
            throw .badIndex(what: what(), index: UInt64(index), count: UInt64(count))
        }
        let base = index * ELF.Size.symbol
        let view = ByteView(entries)
        return Symbol(nameOffset: view.u32(base), info: view.u8(base + 4), other: view.u8(base + 5),
                      sectionIndex: view.u16(base + 6), value: view.u64(base + 8), size: view.u64(base + 16))
    }

    /// The section a symbol belongs to, resolving `SHN_XINDEX` through `SHT_SYMTAB_SHNDX`.
    public func sectionIndex(of symbol: Symbol, at index: Int) throws(ELFError) -> UInt32 {
        guard UInt32(symbol.sectionIndex) == ELF.SectionIndex.xindex else { return UInt32(symbol.sectionIndex) }
        guard let extendedIndices else {
            throw .malformed(what: "symbol \(index) of \(section.name)",
                             detail: "uses SHN_XINDEX but the file has no SHT_SYMTAB_SHNDX section")
        }
        return ByteView(extendedIndices).u32(index * 4)
    }

    /// The symbol's name as a pointer to NUL-terminated bytes inside the string table (checked), or nil when
    /// `st_name` is 0.
    public func namePointer(of symbol: Symbol, at index: Int) throws(ELFError) -> UnsafePointer<CChar>? {
        guard symbol.nameOffset != 0 else { return nil }
        let range = try ELFFile.stringRange(in: strings, at: symbol.nameOffset,
                                            what: "name of symbol \(index) in \(section.name)")
        return (strings.baseAddress! + range.lowerBound).assumingMemoryBound(to: CChar.self)
    }

    public func name(of symbol: Symbol, at index: Int) throws(ELFError) -> String {
        guard let pointer = try namePointer(of: symbol, at: index) else { return "" }
        return String(cString: pointer)
    }
}

extension ELFFile {
    /// The (last, as the kernel's tools take it) `SHT_SYMTAB` section's table.
    public func symbolTable() throws(ELFError) -> SymbolTable? {
        guard let section = sections.last(where: { $0.type == ELF.SectionType.symtab }) else { return nil }
        return try SymbolTable(section, in: self)
    }
}
