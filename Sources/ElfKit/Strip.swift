/// The result of `objcopy -R .comment -S` on an executable: the original bytes up to the end of the last kept
/// section (ELF header, program headers and every loaded byte unchanged), followed by what objcopy writes anew.
/// Held as parts so a 50 MB result is written straight from the mapped input, never copied.
public struct StrippedELF: Sendable {
    public enum Part: Sendable {
        /// Bytes `range` of the input file.
        case input(Range<Int>)
        /// New bytes.
        case bytes([UInt8])
    }

    public let source: ELFFile
    public let parts: [Part]
    /// The names of the sections kept, in order (without the new `.shstrtab`).
    public let keptSections: [String]

    public var size: Int {
        parts.reduce(0) { total, part in
            switch part {
            case .input(let range): return total + range.count
            case .bytes(let bytes): return total + bytes.count
            }
        }
    }

    /// Visits the output bytes in order without materialising them.
    public func forEachChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        for part in parts {
            switch part {
            case .input(let range): try body(UnsafeRawBufferPointer(rebasing: source.bytes.buffer[range]))
            case .bytes(let bytes): try bytes.withUnsafeBytes(body)
            }
        }
    }

    /// The whole output as one array (tests, small files).
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(size)
        forEachChunk { out += $0 }
        return out
    }
}

/// What `objcopy -S` (strip-all) with `-R` removes, by the BFD rules that apply to an executable.
public enum StripRules {
    /// Sections removed by name (`-R`); the kernel's build passes `.comment`.
    public static let kernelRemovedNames: Set<String> = [".comment"]

    /// Whether objcopy's strip-all drops the section: symbol and string tables and relocations that are not
    /// loaded (BFD rebuilds or drops them), and debugging sections, which BFD recognises by name only.
    public static func isStripped(_ section: SectionHeader) -> Bool {
        if section.isAllocated { return false }
        switch section.type {
        case ELF.SectionType.symtab, ELF.SectionType.strtab, ELF.SectionType.rela, ELF.SectionType.rel,
             ELF.SectionType.symtabShndx:
            return true
        default:
            return isDebugging(section.name)
        }
    }

    static func isDebugging(_ name: String) -> Bool {
        guard name.hasPrefix(".") else { return false }
        let prefixes = [".debug", ".gnu.debuglto_.debug_", ".gnu.linkonce.wi.", ".zdebug", ".line", ".stab"]
        return prefixes.contains { name.hasPrefix($0) } || name == ".gdb_index"
    }
}

extension ELFFile {
    /// `objcopy -R <removing> -S` of this file, byte for byte (binutils 2.40 on an ET_EXEC/ET_DYN vmlinux).
    public func stripped(removing removed: Set<String> = StripRules.kernelRemovedNames) throws(ELFError)
        -> StrippedELF
    {
        let kept = sections.dropFirst().filter { !removed.contains($0.name) && !StripRules.isStripped($0) }
        // Old index → new index, for sh_link/sh_info that point at kept sections.
        var newIndex = [Int: Int]()
        for (position, section) in kept.enumerated() { newIndex[section.index] = position + 1 }

        // The input is kept verbatim up to the end of the last loaded byte: headers, segments, kept sections.
        var end = UInt64(ELF.Size.fileHeader)
        end = max(end, header.programHeaderOffset + UInt64(programHeaders.count * ELF.Size.programHeader))
        for segment in programHeaders where segment.fileSize > 0 {
            end = max(end, segment.offset + segment.fileSize)
        }
        let inSegment: (SectionHeader) -> Bool = { section in
            self.programHeaders.contains { seg in
                seg.fileSize > 0 && section.offset >= seg.offset
                    && section.offset + section.size <= seg.offset + seg.fileSize
            }
        }
        for section in kept where section.hasFileData && inSegment(section) {
            end = max(end, section.offset + section.size)
        }

        var parts: [StrippedELF.Part] = [.input(0..<Int(end))]
        var cursor = end
        var appended = [UInt8]()
        func pad(to alignment: UInt64) {
            let aligned = alignment > 1 ? (cursor + alignment - 1) / alignment * alignment : cursor
            appended += [UInt8](repeating: 0, count: Int(aligned - cursor))
            cursor = aligned
        }

        // Section names, then headers (BFD adds ".shstrtab" first, then the sections in order).
        var names = SectionNameTable()
        let shstrtabHandle = names.add(".shstrtab")
        let nameHandles = kept.map { names.add($0.name) }
        let (nameTable, offsets) = names.finalize()

        var headers = [SectionHeader]()
        for (position, section) in kept.enumerated() {
            var out = section
            out.nameOffset = UInt32(offsets[nameHandles[position]])
            out.link = section.link == 0 ? 0 : UInt32(newIndex[Int(section.link)] ?? 0)
            if section.flags.contains(.infoLink) { out.info = UInt32(newIndex[Int(section.info)] ?? 0) }
            if section.hasFileData && !inSegment(section) {
                // Not loaded: placed after the loaded bytes, as BFD assigns positions to such sections.
                let alignment = max(section.addressAlignment, 1)
                guard alignment.nonzeroBitCount == 1, alignment <= 1 << 32 else {
                    throw .malformed(what: "section \(section.index) (\(section.name))",
                                     detail: "sh_addralign \(hex(alignment)) is not a power of two below 4 GiB")
                }
                pad(to: alignment)
                out.offset = cursor
                parts.append(.bytes(appended)); appended = []
                parts.append(.input(Int(section.offset)..<Int(section.offset + section.size)))
                cursor += section.size
            }
            headers.append(out)
        }
        let nameTableOffset = cursor
        appended += nameTable
        cursor += UInt64(nameTable.count)
        pad(to: 8)
        let sectionHeaderOffset = cursor

        let count = kept.count + 2  // null + kept + .shstrtab
        let nameTableIndex = count - 1
        var null = SectionHeader.null
        let extendedCount = count >= Int(ELF.SectionIndex.loReserve)
        let extendedIndex = nameTableIndex >= Int(ELF.SectionIndex.loReserve)
        if extendedCount { null.size = UInt64(count) }
        if extendedIndex { null.link = UInt32(nameTableIndex) }
        appended += null.encoded
        for out in headers { appended += out.encoded }
        var shstrtab = SectionHeader.null
        shstrtab.nameOffset = UInt32(offsets[shstrtabHandle])
        shstrtab.type = ELF.SectionType.strtab
        shstrtab.offset = nameTableOffset
        shstrtab.size = UInt64(nameTable.count)
        shstrtab.addressAlignment = 1
        appended += shstrtab.encoded
        parts.append(.bytes(appended))

        // Patch e_shoff, e_shnum, e_shstrndx in a copy of the first bytes.
        var head = Array(UnsafeRawBufferPointer(rebasing: bytes.buffer[0..<ELF.Size.fileHeader]))
        func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { head.replaceSubrange(offset..<offset + $0.count, with: $0) }
        }
        patch(sectionHeaderOffset, at: FileHeader.Offset.sectionHeaderOffset)
        patch(UInt16(extendedCount ? 0 : count), at: FileHeader.Offset.sectionCount)
        patch(UInt16(extendedIndex ? Int(ELF.SectionIndex.xindex) : nameTableIndex),
              at: FileHeader.Offset.sectionNameTableIndex)
        parts[0] = .input(ELF.Size.fileHeader..<Int(end))
        parts.insert(.bytes(head), at: 0)

        return StrippedELF(source: self, parts: parts.filter {
            if case .bytes(let b) = $0 { return !b.isEmpty } else { return true }
        }, keptSections: kept.map(\.name))
    }
}

extension SectionHeader {
    static var null: SectionHeader {
        SectionHeader(index: 0, name: "", nameOffset: 0, type: 0, flags: [], address: 0, offset: 0, size: 0,
                      link: 0, info: 0, addressAlignment: 0, entrySize: 0)
    }
}
