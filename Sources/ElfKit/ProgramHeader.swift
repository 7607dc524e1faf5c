import StubCore

/// One `Elf64_Phdr`.
public struct ProgramHeader: Sendable, Equatable {
    public var type: UInt32
    public var flags: UInt32
    public var offset: UInt64
    public var virtualAddress: UInt64
    public var physicalAddress: UInt64
    public var fileSize: UInt64
    public var memorySize: UInt64
    public var alignment: UInt64

    /// Parses the record at `at` (the caller checked the whole table lies inside the file).
    init(parsing view: ByteView, at base: Int) {
        typealias Offset = ELFLayout.ProgramHeader
        type = view.u32(base + Offset.type)
        flags = view.u32(base + Offset.flags)
        offset = view.u64(base + Offset.offset)
        virtualAddress = view.u64(base + Offset.virtualAddress)
        physicalAddress = view.u64(base + Offset.physicalAddress)
        fileSize = view.u64(base + Offset.fileSize)
        memorySize = view.u64(base + Offset.memorySize)
        alignment = view.u64(base + Offset.alignment)
    }
}
