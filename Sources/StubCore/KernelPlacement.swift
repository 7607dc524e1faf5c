/// What the decompressor does with the decompressed `vmlinux.bin ++ relocs` (the kernel's parse_elf and
/// handle_relocations): move each PT_LOAD segment to its physical offset from the load address, then apply the
/// virtual (KASLR) delta through the relocation table, read backwards from the end of the decompressed data.
/// The kernel fixes its own physical placement; only the virtual delta is ours to apply.
public enum KernelPlacement {
    /// `__START_KERNEL_map`: where the kernel's virtual addresses start.
    public static let kernelMap: UInt64 = 0xFFFF_FFFF_8000_0000

    public enum Failure: Error, Equatable, Sendable {
        case notELF
        /// A PT_LOAD segment is not 2 MiB-aligned, lies below the load address, or does not fit the buffer.
        case badSegment(index: Int)
        /// A relocation entry names a place outside the placed kernel.
        case relocationOutside(entry: UInt32)
        /// The table has no terminating zero words.
        case badTable
    }

    /// Places the segments of the ELF at the start of `buffer` at `buffer + (p_paddr − loadAddress)`.
    /// Returns the entry point's offset from the buffer start and the end of the placed data.
    public static func placeSegments(_ buffer: UnsafeMutableRawBufferPointer, elfSize: Int, loadAddress: UInt64)
        throws(Failure) -> (entry: UInt64, end: Int)
    {
        typealias Ehdr = ELFLayout.FileHeader
        typealias Phdr = ELFLayout.ProgramHeader
        let elf = UnsafeRawBufferPointer(rebasing: buffer[0..<min(elfSize, buffer.count)])
        guard elf.count >= Ehdr.size, ELFLayout.startsWithMagic(elf), elf[ELFLayout.classIndex] == ELFLayout.class64
        else { throw .notELF }
        let entry = load64(elf, Ehdr.entry), phoff = load64(elf, Ehdr.programHeaderOffset)
        let phentsize = Int(load16(elf, Ehdr.programHeaderEntrySize)), phnum = Int(load16(elf, Ehdr.programHeaderCount))
        guard phentsize == Phdr.size, phoff <= UInt64(elf.count), UInt64(phnum * Phdr.size) <= UInt64(elf.count) - phoff
        else { throw .notELF }
        guard entry >= loadAddress else { throw .notELF }
        // Read every PT_LOAD before moving any: the first one lands on the headers.
        var segments = InlineArray<16, (offset: UInt64, target: UInt64, size: UInt64)>(repeating: (0, 0, 0))
        var count = 0
        for index in 0..<phnum {
            let header = Int(phoff) + index * Phdr.size
            guard load32(elf, header + Phdr.type) == Phdr.load else { continue }
            let offset = load64(elf, header + Phdr.offset), physical = load64(elf, header + Phdr.physicalAddress)
            let fileSize = load64(elf, header + Phdr.fileSize), align = load64(elf, header + Phdr.alignment)
            guard count < segments.count, align % 0x20_0000 == 0, physical >= loadAddress,
                  offset <= UInt64(elfSize), fileSize <= UInt64(elfSize) - offset,
                  physical - loadAddress <= UInt64(buffer.count), fileSize <= UInt64(buffer.count) - (physical - loadAddress)
            else { throw .badSegment(index: index) }
            segments[count] = (offset, physical - loadAddress, fileSize)
            count += 1
        }
        var end = 0
        for index in 0..<count {
            let segment = segments[index]
            // memmove, in file order as the kernel does: the segments move down over their own bytes.
            (buffer.baseAddress! + Int(segment.target)).copyMemory(from: buffer.baseAddress! + Int(segment.offset),
                                                                   byteCount: Int(segment.size))
            end = max(end, Int(segment.target + segment.size))
        }
        return (entry - loadAddress, end)
    }

    /// Applies `delta` (new virtual base − link-time base) through the table that ends at `tableEnd` in `buffer`
    /// (its layout: `RelocationTableLayout`, read backwards). Targets must lie in `[0, kernelEnd)` of the buffer.
    public static func relocate(_ buffer: UnsafeMutableRawBufferPointer, tableEnd: Int, kernelEnd: Int,
                                loadAddress: UInt64, delta: Int64, hasInverseTable: Bool) throws(Failure)
    {
        guard delta != 0 else { return }
        // At least the three zero words of an empty 6.1 table (a shorter one is refused word by word anyway).
        guard tableEnd <= buffer.count, tableEnd >= RelocationTableLayout.emptySize(hasInverseTable: true),
              kernelEnd <= buffer.count
        else { throw .badTable }
        let base = buffer.baseAddress!

        /// The buffer offset of an entry's target, checked to leave `width` bytes inside the kernel.
        func target(_ entry: UInt32, width: Int) throws(Failure) -> Int {
            let address = UInt64(bitPattern: Int64(Int32(bitPattern: entry)))
            let offset = address &- kernelMap &- loadAddress
            guard offset <= UInt64(kernelEnd), UInt64(width) <= UInt64(kernelEnd) - offset else {
                throw .relocationOutside(entry: entry)
            }
            return Int(offset)
        }

        _ = try RelocationTableLayout.forEachEntry(in: base, end: tableEnd, hasInverseTable: hasInverseTable) {
            (run, entry) throws(Failure) in
            switch run {
            case .r32:
                let at = try target(entry, width: 4)
                let value = (base + at).loadUnaligned(as: UInt32.self) &+ UInt32(truncatingIfNeeded: delta)
                (base + at).storeBytes(of: value, toByteOffset: 0, as: UInt32.self)
            case .inverse32:  // per-cpu references move the other way
                let at = try target(entry, width: 4)
                let value = (base + at).loadUnaligned(as: Int32.self) &- Int32(truncatingIfNeeded: delta)
                (base + at).storeBytes(of: value, toByteOffset: 0, as: Int32.self)
            case .r64:
                let at = try target(entry, width: 8)
                let value = (base + at).loadUnaligned(as: UInt64.self) &+ UInt64(bitPattern: delta)
                (base + at).storeBytes(of: value, toByteOffset: 0, as: UInt64.self)
            }
        }
    }
}

@inline(__always) func load16(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
@inline(__always) func load32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 { readLE32(b, at) }
@inline(__always) func load64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
    UInt64(readLE32(b, at)) | UInt64(readLE32(b, at + 4)) << 32
}
