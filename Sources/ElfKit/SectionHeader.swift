/// One `Elf64_Shdr`, with its resolved name.
public struct SectionHeader: Sendable, Equatable {
    public var index: Int
    public var name: String
    public var nameOffset: UInt32
    public var type: UInt32
    public var flags: ELF.SectionFlags
    public var address: UInt64
    public var offset: UInt64
    public var size: UInt64
    public var link: UInt32
    public var info: UInt32
    public var addressAlignment: UInt64
    public var entrySize: UInt64

    /// Whether the section occupies bytes in the file (everything but SHT_NULL and SHT_NOBITS).
    public var hasFileData: Bool { type != ELF.SectionType.nobits && type != ELF.SectionType.null }

    public var isAllocated: Bool { flags.contains(.alloc) }

    /// The 64-byte on-disk record (little-endian).
    public var encoded: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(ELF.Size.sectionHeader)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        put(nameOffset); put(type); put(flags.rawValue); put(address); put(offset); put(size)
        put(link); put(info); put(addressAlignment); put(entrySize)
        return out
    }
}

extension SectionHeader {
    init(parsing view: ByteView, at base: Int, index: Int) {
        self.index = index
        name = ""
        nameOffset = view.u32(base)
        type = view.u32(base + 4)
        flags = ELF.SectionFlags(rawValue: view.u64(base + 8))
        address = view.u64(base + 16)
        offset = view.u64(base + 24)
        size = view.u64(base + 32)
        link = view.u32(base + 40)
        info = view.u32(base + 44)
        addressAlignment = view.u64(base + 48)
        entrySize = view.u64(base + 56)
    }
}

extension SectionHeader {
    /// The number of fixed-size records in a table section, checking its type and that its size is a whole
    /// number of records.
    func entryCount(ofSize entrySize: Int, types: [UInt32], kind: String) throws(ELFError) -> Int {
        guard types.contains(type) else {
            throw .malformed(what: "section \(index) (\(name))", detail: "is not a \(kind)")
        }
        guard size % UInt64(entrySize) == 0 else {
            throw .malformed(what: "\(kind) \(name)", detail: "size \(size) is not a multiple of \(entrySize)")
        }
        return Int(size) / entrySize
    }
}
