/// What UEFI loaders, shim and the signing tools would refuse in a PE/COFF header, each finding naming them
/// (../shared/docs/efi-stub.md §2.4 and §6; edk2 BasePeCoffLib, systemd src/boot linux.c/pe.c, shim pe.c and
/// pe-relocate.c, sbsigntools image.c). Arithmetic is in UInt64 so that no header value can trap.
extension PEHeader {
    /// An MZ and "PE\0\0" whose optional header is not one a loader reads (`PEHeader(parsing:)` gave nil).
    public static let malformed = Finding(
        .error, "MZ/PE header without a well-formed PE32+ optional header (magic 0x20b, SizeOfOptionalHeader = 112 + 8 × directories, section table inside the file)",
        refusedBy: Loader.peLoaders + [.sbsign])

    /// The findings for an image of `fileSize` bytes whose setup header does (`handoverEntry`) or does not
    /// advertise the 64-bit EFI handover entry.
    public func findings(fileSize: Int, handoverEntry: Bool) -> [Finding] {
        let size = UInt64(fileSize)
        return identityFindings + entryFindings + sectionFindings(fileSize: size) + memoryLayoutFindings
            + fileLayoutFindings + sizeFindings + versionFindings(handoverEntry: handoverEntry)
            + certificateFindings(fileSize: size)
    }

    /// Machine, subsystem, relocations and NX_COMPAT: what a loader checks before reading any section.
    var identityFindings: [Finding] {
        var out = [Finding]()
        if machine != Machine.x86_64 {
            out.append(.init(.error, "PE machine \(hexString(machine)) is not x86-64 (0x8664): UEFI loads only images for its own machine",
                             refusedBy: Loader.peLoaders))
        }
        if subsystem != 10 {
            out.append(.init(.error, "PE subsystem \(subsystem) is not 10 (EFI application): firmware loads it as a driver or not at all",
                             refusedBy: [.ovmfLoadImage, .grubEFI]))
        }
        if characteristics.contains(.relocsStripped) {
            out.append(.init(.error, "COFF Characteristics has RELOCS_STRIPPED: shim refuses it and firmware may load it only at ImageBase \(hexString(imageBase))",
                             refusedBy: [.shim, .ovmfLoadImage]))
        }
        // The kernel's images have no base relocations and need none (the code is position-independent); only a
        // non-empty table matters, to the loader that cannot apply one.
        if directories.count > Directory.baseRelocations, directories[Directory.baseRelocations].1 != 0 {
            out.append(.init(.warning, "base relocation directory is not empty (\(directories[Directory.baseRelocations].1) bytes): systemd-stub ≥ 258 applies no relocations and refuses it",
                             refusedBy: [.systemdStub]))
        }
        if !dllCharacteristics.contains(.nxCompat) {
            out.append(.init(.note, "DllCharacteristics lacks NX_COMPAT: shim refuses it under an NX-requiring MokPolicy, W^X loaders leave its memory writable and executable",
                             refusedBy: [.shim]))
        }
        return out
    }

    /// AddressOfEntryPoint: where every PE loader jumps; shim also wants it inside a section.
    var entryFindings: [Finding] {
        if entryPoint == 0 {
            return [.init(.error, "AddressOfEntryPoint is 0: there is no EFI entry point", refusedBy: Loader.peLoaders)]
        }
        guard let section = sections.first(where: { $0.memory.contains(UInt64(entryPoint)) }) else {
            return [.init(.error, "AddressOfEntryPoint \(hexString(entryPoint)) lies in no section: shim refuses it, loaders that copy only sections jump into nothing",
                          refusedBy: [.shim, .systemdStub])]
        }
        guard !section.isExecutable else { return [] }
        // shim (with the memory attribute protocol) and NX-enforcing firmware map a data section non-executable.
        return [.init(.error, "AddressOfEntryPoint \(hexString(entryPoint)) is in section \(section.name), which is not executable: W^X loaders fault on its first instruction",
                      refusedBy: [.shim, .ovmfLoadImage])]
    }

    /// Each section on its own: alignment, raw data against VirtualSize and the file, W^X.
    func sectionFindings(fileSize: UInt64) -> [Finding] {
        var out = [Finding]()
        for s in sections {
            if sectionAlignment != 0, s.virtualAddress % sectionAlignment != 0 {
                // systemd-stub ≥ 258 sets RO+X on code sections page by page; an unaligned one fails and it refuses.
                out.append(.init(.warning, "section \(s.name) VirtualAddress \(hexString(s.virtualAddress)) is not SectionAlignment (\(hexString(sectionAlignment)))-aligned: it cannot have page permissions of its own",
                                 refusedBy: s.isExecutable ? [.systemdStub] : []))
            }
            if s.flags.contains([.write, .execute]) {
                out.append(.init(.error, "section \(s.name) is writable and executable: W^X loaders map code read-only, so its writes fault",
                                 refusedBy: [.ovmfLoadImage, .systemdStub, .shim]))
            }
            guard s.rawSize > 0 else { continue }  // no file bytes: nothing is copied, nothing is hashed
            if s.rawSize > s.virtualSize {
                out.append(.init(.error, "section \(s.name) SizeOfRawData \(hexString(s.rawSize)) exceeds VirtualSize \(hexString(s.virtualSize)): systemd-stub ≥ 258 copies all raw bytes and its zero fill of the difference underflows",
                                 refusedBy: [.systemdStub]))
            }
            if s.file.upperBound > fileSize {
                out.append(.init(.error, "section \(s.name) raw data \(hexString(s.rawOffset))–\(hexString(s.file.upperBound)) runs past the end of the file (\(hexString(fileSize)))",
                                 refusedBy: Loader.peLoaders + [.sbsign]))
            }
            if fileAlignment != 0, s.rawOffset % fileAlignment != 0 {
                out.append(.init(.warning, "section \(s.name) PointerToRawData \(hexString(s.rawOffset)) is not FileAlignment (\(hexString(fileAlignment)))-aligned, as PE/COFF requires"))
            }
        }
        return out
    }

    /// The sections in memory, in address order from SizeOfHeaders: no overlaps, no gaps (the kernel's layout and
    /// ours are one contiguous block, VA = file offset).
    var memoryLayoutFindings: [Finding] {
        var out = [Finding]()
        // nil: the headers, whose overlap with a section is sizeFindings' (shim's rule).
        var previous: (name: String?, end: UInt64) = (nil, UInt64(sizeOfHeaders))
        for s in sections.sorted(by: { $0.virtualAddress < $1.virtualAddress }) {
            if let name = previous.name, s.memory.lowerBound < previous.end {
                out.append(.init(.error, "sections \(name) and \(s.name) overlap in memory at \(hexString(s.memory.lowerBound))–\(hexString(previous.end)): the later copy overwrites the earlier"))
            } else if s.memory.lowerBound > align(previous.end, sectionAlignment) {
                out.append(.init(.warning, "no section covers \(hexString(previous.end))–\(hexString(s.memory.lowerBound)), before \(s.name): the image is not one contiguous block, and loaders apply no section's permissions there"))
            }
            previous = (s.name, max(previous.end, s.memory.upperBound))
        }
        return out
    }

    /// The sections' raw data in table order from SizeOfHeaders, each padded to FileAlignment: where sbsign
    /// expects it, or it warns "gap in section table" and may hash the image unlike the firmware.
    var fileLayoutFindings: [Finding] {
        var out = [Finding]()
        var expected: (name: String, end: UInt64) = ("the headers", UInt64(sizeOfHeaders))
        for s in sections where s.rawSize > 0 {
            if UInt64(s.rawOffset) != expected.end {
                out.append(.init(.warning, "section \(s.name) raw data starts at \(hexString(s.rawOffset)), not where \(expected.name) ends (\(hexString(expected.end))): signers may hash it unlike the firmware",
                                 refusedBy: [.sbsign]))
            }
            expected = (s.name, UInt64(s.rawOffset) + align(UInt64(s.rawSize), fileAlignment))
        }
        return out
    }

    /// SizeOfImage (what every loader allocates) and SizeOfHeaders (what it copies first).
    var sizeFindings: [Finding] {
        var out = [Finding]()
        if let last = sections.max(by: { $0.memory.upperBound < $1.memory.upperBound }), last.memory.upperBound > UInt64(sizeOfImage) {
            out.append(.init(.error, "SizeOfImage \(hexString(sizeOfImage)) does not cover section \(last.name) (ends at \(hexString(last.memory.upperBound)))",
                             refusedBy: Loader.peLoaders))
        }
        if sectionAlignment != 0, sizeOfImage % sectionAlignment != 0 {
            out.append(.init(.warning, "SizeOfImage \(hexString(sizeOfImage)) is not a multiple of SectionAlignment (\(hexString(sectionAlignment))), as PE/COFF requires"))
        }
        if UInt64(sizeOfHeaders) < UInt64(tableEnd) {
            out.append(.init(.error, "SizeOfHeaders \(hexString(sizeOfHeaders)) ends before the section table does (\(hexString(tableEnd)))",
                             refusedBy: [.ovmfLoadImage, .grubEFI, .shim]))
        }
        // shim: a section with file contents may not start, in memory or in the file, inside the headers.
        let inside = sections.first { s in
            !s.flags.contains(.uninitializedData)
                && (s.virtualAddress < sizeOfHeaders || (s.rawSize > 0 && s.rawOffset < sizeOfHeaders))
        }
        if let inside {
            out.append(.init(.error, "SizeOfHeaders \(hexString(sizeOfHeaders)) runs into section \(inside.name): shim refuses a section inside the headers",
                             refusedBy: [.shim]))
        }
        if fileAlignment != 0, sizeOfHeaders % fileAlignment != 0 {
            out.append(.init(.warning, "SizeOfHeaders \(hexString(sizeOfHeaders)) is not a multiple of FileAlignment (\(hexString(fileAlignment))), as PE/COFF requires"))
        }
        return out
    }

    /// MajorImageVersion: ≥ 1 promises the LoadFile2 initrd; below, loaders avoid LoadImage.
    func versionFindings(handoverEntry: Bool) -> [Finding] {
        guard majorImageVersion == 0 else { return [] }
        if handoverEntry {
            return [.init(.note, "MajorImageVersion 0 (no LoadFile2 initrd): systemd-stub boots it through the EFI handover entry, GRUB 2.12 through its legacy loader, not LoadImage")]
        }
        return [.init(.warning, "MajorImageVersion 0 and no EFI handover entry: systemd-stub starts image version 0 only through that entry",
                      refusedBy: [.systemdStubHandover])]
    }

    /// The certificate table (directory 4, a file offset): inside the file, 8-aligned, at its end. Its presence is
    /// BzImage's note ("signed: …"), not repeated here.
    func certificateFindings(fileSize: UInt64) -> [Finding] {
        guard directories.count > Directory.certificates else { return [] }
        let (offset, size) = directories[Directory.certificates]
        guard size > 0 else { return [] }
        let end = UInt64(offset) + UInt64(size)
        let table = "certificate table (\(hexString(offset)), \(size) bytes)"
        if end > fileSize {
            return [.init(.error, "\(table) runs past the end of the file (\(hexString(fileSize)))",
                          refusedBy: [.ovmfLoadImage, .shim, .sbsign])]
        }
        if offset % 8 != 0 {
            return [.init(.error, "\(table) is not 8-byte aligned: firmware's Authenticode check and sbverify reject it",
                          refusedBy: [.ovmfLoadImage, .sbsign])]
        }
        if end != fileSize {
            return [.init(.error, "\(table) does not end at the end of the file (\(hexString(fileSize))): shim rejects data after it",
                          refusedBy: [.shim])]
        }
        return []
    }
}

extension PEHeader.Section {
    /// Its range in memory (RVAs) and in the file.
    var memory: Range<UInt64> { UInt64(virtualAddress)..<UInt64(virtualAddress) + UInt64(virtualSize) }
    var file: Range<UInt64> { UInt64(rawOffset)..<UInt64(rawOffset) + UInt64(rawSize) }
    /// What loaders map executable: systemd-stub goes by either flag.
    var isExecutable: Bool { !flags.isDisjoint(with: [.code, .execute]) }
}

/// `value` rounded up to a multiple of `alignment` (0 or 1: unchanged).
func align(_ value: UInt64, _ alignment: UInt32) -> UInt64 {
    guard alignment > 1 else { return value }
    let a = UInt64(alignment)
    return (value + a - 1) / a * a
}
