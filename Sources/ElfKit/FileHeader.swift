import StubCore

/// The ELF64 file header (`Elf64_Ehdr`), validated for what this tool reads: a little-endian x86-64
/// executable or PIE, with the record sizes of ELF64 (the same checks as the kernel's `relocs`).
public struct FileHeader: Sendable, Equatable {
    public var type: UInt16
    public var machine: UInt16
    public var version: UInt32
    public var entry: UInt64
    public var programHeaderOffset: UInt64
    public var sectionHeaderOffset: UInt64
    public var flags: UInt32
    public var headerSize: UInt16
    public var programHeaderEntrySize: UInt16
    public var programHeaderCount: UInt16
    public var sectionHeaderEntrySize: UInt16
    /// `e_shnum` as stored (0 when the count lives in section 0's `sh_size`).
    public var rawSectionCount: UInt16
    /// `e_shstrndx` as stored (`SHN_XINDEX` when the index lives in section 0's `sh_link`).
    public var rawSectionNameTableIndex: UInt16

    /// Field offsets inside the header (also where a writer patches it).
    public typealias Offset = ELFLayout.FileHeader

    public init(parsing view: ByteView) throws(ELFError) {
        guard view.count > 0 else { throw .empty }
        guard view.count >= 4, (0..<4).allSatisfy({ view.u8($0) == ELF.magic[$0] }) else { throw .notELF }
        try view.check("ELF header", offset: 0, length: UInt64(ELF.Size.fileHeader))
        let elfClass = view.u8(ELFLayout.classIndex)
        guard elfClass == ELF.Class.elf64.rawValue else {
            throw .unsupported(field: "EI_CLASS", value: UInt64(elfClass),
                               expected: elfClass == 1 ? "ELFCLASS64 (this is a 32-bit ELF)" : "ELFCLASS64 (2)")
        }
        let encoding = view.u8(ELFLayout.dataIndex)
        guard encoding == ELF.Encoding.littleEndian.rawValue else {
            throw .unsupported(field: "EI_DATA", value: UInt64(encoding), expected: "ELFDATA2LSB (1, little-endian)")
        }
        guard view.u8(ELFLayout.versionIndex) == 1 else {
            throw .unsupported(field: "EI_VERSION", value: UInt64(view.u8(ELFLayout.versionIndex)), expected: "EV_CURRENT (1)")
        }
        type = view.u16(Offset.type)
        machine = view.u16(Offset.machine)
        version = view.u32(Offset.version)
        entry = view.u64(Offset.entry)
        programHeaderOffset = view.u64(Offset.programHeaderOffset)
        sectionHeaderOffset = view.u64(Offset.sectionHeaderOffset)
        flags = view.u32(Offset.flags)
        headerSize = view.u16(Offset.headerSize)
        programHeaderEntrySize = view.u16(Offset.programHeaderEntrySize)
        programHeaderCount = view.u16(Offset.programHeaderCount)
        sectionHeaderEntrySize = view.u16(Offset.sectionHeaderEntrySize)
        rawSectionCount = view.u16(Offset.sectionCount)
        rawSectionNameTableIndex = view.u16(Offset.sectionNameTableIndex)

        guard type == ELF.FileType.executable.rawValue || type == ELF.FileType.sharedObject.rawValue else {
            throw .unsupported(field: "e_type", value: UInt64(type), expected: "ET_EXEC (2) or ET_DYN (3)")
        }
        guard machine == ELF.Machine.x86_64 else {
            throw .unsupported(field: "e_machine", value: UInt64(machine), expected: "EM_X86_64 (62)")
        }
        guard version == 1 else {
            throw .unsupported(field: "e_version", value: UInt64(version), expected: "EV_CURRENT (1)")
        }
        guard headerSize == ELF.Size.fileHeader else {
            throw .unsupported(field: "e_ehsize", value: UInt64(headerSize), expected: "64")
        }
        guard programHeaderEntrySize == ELF.Size.programHeader else {
            throw .unsupported(field: "e_phentsize", value: UInt64(programHeaderEntrySize), expected: "56")
        }
        guard sectionHeaderEntrySize == ELF.Size.sectionHeader else {
            throw .unsupported(field: "e_shentsize", value: UInt64(sectionHeaderEntrySize), expected: "64")
        }
    }
}
