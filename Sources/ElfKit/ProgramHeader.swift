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
        type = view.u32(base)
        flags = view.u32(base + 4)
        offset = view.u64(base + 8)
        virtualAddress = view.u64(base + 16)
        physicalAddress = view.u64(base + 24)
        fileSize = view.u64(base + 32)
        memorySize = view.u64(base + 40)
        alignment = view.u64(base + 48)
    }
}
