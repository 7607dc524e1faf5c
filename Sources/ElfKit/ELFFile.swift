/// A validated ELF64 x86-64 file over a memory-mapped (or in-memory) buffer.
///
/// Opening checks the header, every program header and every section header against the file size, resolves
/// the extended numbering rules (`e_shnum == 0`, `e_shstrndx == SHN_XINDEX`) and every section name. Section
/// *contents* are only touched when asked for, so the DWARF of a vmlinux is never read.
public struct ELFFile: Sendable {
    public let file: MappedFile
    public let header: FileHeader
    public let programHeaders: [ProgramHeader]
    public let sections: [SectionHeader]
    /// Index of the section-name string table (0 when there is none).
    public let sectionNameTableIndex: Int

    public var bytes: ByteView { file.bytes }

    public init(path: String) throws(ELFFileOpenError) {
        let mapped: MappedFile
        do { mapped = try MappedFile(path: path) } catch { throw .open(error.reason) }
        do { try self.init(mapped) } catch { throw .elf(error) }
    }

    public init(_ file: MappedFile) throws(ELFError) {
        self.file = file
        let view = file.bytes
        let header = try FileHeader(parsing: view)
        self.header = header
        let fileSize = UInt64(view.count)

        // Program headers.
        let phCount = UInt64(header.programHeaderCount)
        try view.check("program header table (\(phCount) entries)", offset: header.programHeaderOffset,
                       length: phCount * UInt64(ELF.Size.programHeader))
        var programHeaders = [ProgramHeader]()
        programHeaders.reserveCapacity(Int(phCount))
        for i in 0..<Int(phCount) {
            let ph = ProgramHeader(parsing: view, at: Int(header.programHeaderOffset) + i * ELF.Size.programHeader)
            if ph.fileSize > 0 {
                try view.check("program header \(i) (p_offset/p_filesz)", offset: ph.offset, length: ph.fileSize)
            }
            programHeaders.append(ph)
        }
        self.programHeaders = programHeaders

        // Section headers, with the extended-numbering rules.
        var count = UInt64(header.rawSectionCount)
        var nameIndex = UInt64(header.rawSectionNameTableIndex)
        var sections = [SectionHeader]()
        if header.sectionHeaderOffset == 0 {
            guard count == 0 else {
                throw .malformed(what: "ELF header", detail: "e_shnum is \(count) but e_shoff is 0")
            }
            nameIndex = 0
        } else {
            try view.check("section header 0", offset: header.sectionHeaderOffset,
                           length: UInt64(ELF.Size.sectionHeader))
            let first = SectionHeader(parsing: view, at: Int(header.sectionHeaderOffset), index: 0)
            if count == 0 { count = first.size }
            if nameIndex == UInt64(ELF.SectionIndex.xindex) { nameIndex = UInt64(first.link) }
            // Overflow-safe: a count above the file size cannot fit, whatever the entry size.
            guard count <= fileSize / UInt64(ELF.Size.sectionHeader) else {
                throw .truncated(what: "section header table (\(count) entries)",
                                 offset: header.sectionHeaderOffset, length: count &* 64, fileSize: fileSize)
            }
            try view.check("section header table (\(count) entries)", offset: header.sectionHeaderOffset,
                           length: count * UInt64(ELF.Size.sectionHeader))
            sections.reserveCapacity(Int(count))
            for i in 0..<Int(count) {
                sections.append(SectionHeader(parsing: view, at: Int(header.sectionHeaderOffset) + i * 64, index: i))
            }
        }
        if !sections.isEmpty || nameIndex != 0 {
            guard nameIndex < UInt64(sections.count) else {
                throw .badIndex(what: "section name table index (e_shstrndx)", index: nameIndex,
                                count: UInt64(sections.count))
            }
        }
        sectionNameTableIndex = Int(nameIndex)

        // Every section's file data lies inside the file.
        for section in sections where section.hasFileData {
            try view.check("section \(section.index) data (sh_offset/sh_size)", offset: section.offset,
                           length: section.size)
        }
        // Names.
        if nameIndex != 0 {
            let table = sections[Int(nameIndex)]
            guard table.type == ELF.SectionType.strtab else {
                throw .malformed(what: "section \(nameIndex) (e_shstrndx)", detail: "is not a string table")
            }
            let strings = try view.slice("section name table", offset: table.offset, length: table.size)
            for i in sections.indices {
                sections[i].name = try ELFFile.string(in: strings, at: sections[i].nameOffset,
                                                      what: "name of section \(i)")
            }
        }
        self.sections = sections
    }

    /// The file bytes of `section` (empty for SHT_NOBITS). Bounds were checked at open.
    public func data(of section: SectionHeader) -> UnsafeRawBufferPointer {
        guard section.hasFileData, section.size > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes.buffer[Int(section.offset)..<Int(section.offset + section.size)])
    }

    public func section(named name: String) -> SectionHeader? { sections.first { $0.name == name } }

    /// The section `index` refers to, or a typed error naming who referred to it.
    public func section(at index: UInt32, referencedBy what: @autoclosure () -> String) throws(ELFError)
        -> SectionHeader
    {
        guard Int(index) < sections.count else {
            throw .badIndex(what: what(), index: UInt64(index), count: UInt64(sections.count))
        }
        return sections[Int(index)]
    }

    /// A NUL-terminated string at `offset` of a string table, checked.
    static func string(in table: UnsafeRawBufferPointer, at offset: UInt32, what: @autoclosure () -> String)
        throws(ELFError) -> String
    {
        let range = try stringRange(in: table, at: offset, what: what())
        return String(decoding: table[range], as: UTF8.self)
    }

    /// The byte range of the string at `offset` (without its NUL), checked to be terminated inside the table.
    static func stringRange(in table: UnsafeRawBufferPointer, at offset: UInt32, what: @autoclosure () -> String)
        throws(ELFError) -> Range<Int>
    {
        let start = Int(offset)
        guard start < table.count else {
            throw .malformed(what: what(), detail: "string offset \(hex(offset)) is past the string table "
                + "(\(table.count) bytes)")
        }
        guard let end = table[start...].firstIndex(of: 0) else {
            throw .malformed(what: what(), detail: "string at \(hex(offset)) is not NUL-terminated")
        }
        return start..<end
    }
}

/// Why `ELFFile(path:)` failed: the file could not be read, or it is not a usable ELF.
public enum ELFFileOpenError: Error, CustomStringConvertible {
    case open(String)
    case elf(ELFError)
    public var description: String {
        switch self {
        case .open(let reason): return reason
        case .elf(let error): return error.description
        }
    }
}

extension ELFFile {
    /// Where the ELF's own structures end: the furthest of its headers, segments, sections and section header
    /// table. For a stripped vmlinux inside a payload, where the relocation table begins.
    public var fileExtent: Int {
        var end = UInt64(ELF.Size.fileHeader)
        end = max(end, header.programHeaderOffset + UInt64(programHeaders.count * ELF.Size.programHeader))
        for segment in programHeaders where segment.fileSize > 0 { end = max(end, segment.offset + segment.fileSize) }
        for section in sections where section.hasFileData { end = max(end, section.offset + section.size) }
        if header.sectionHeaderOffset != 0 {
            end = max(end, header.sectionHeaderOffset + UInt64(sections.count * ELF.Size.sectionHeader))
        }
        return Int(end)
    }
}
