/// The firmware's memory map turned into what the kernel reads from boot_params: efi_info (so the kernel finds
/// the map and the system table and keeps EFI runtime services) and the E820 table (the kernel's own RAM map),
/// as the kernel's stub builds them (`x86-stub.c: setup_e820`).
public enum EFIMemoryMap {
    /// The E820 type of an EFI memory type; 0: not reported. EFI types 0 … 14 → reserved (2): reserved, runtime
    /// code and data, MMIO, MMIO ports, PAL code; RAM (1): loader and boot-services code and data, conventional;
    /// unusable → 5, ACPI reclaim → 3, ACPI NVS → 4, persistent → 7. One nibble per type in a word rather than a
    /// switch, which the compiler would turn into a table in .rodata that every stub would carry.
    public static func e820Type(_ efiType: UInt32) -> UInt32 {
        guard efiType <= EFI.MemoryType.persistent else { return 0 }
        return UInt32(truncatingIfNeeded: 0x0722_2435_1221_1112 as UInt64 >> (4 &* UInt64(efiType))) & 0xF
    }

    public enum E820 {
        public static var ram: UInt32 { 1 }
        public static var reserved: UInt32 { 2 }
        public static var acpi: UInt32 { 3 }
        public static var nvs: UInt32 { 4 }
        public static var unusable: UInt32 { 5 }
        public static var persistent: UInt32 { 7 }
        public static var entrySize: Int { 20 }
        public static var maxEntries: Int { 128 }
    }

    /// Writes the E820 entries for `count` descriptors of `descriptorSize` bytes at `map` into `table` (room for
    /// `E820.maxEntries`), merging neighbours of one type; returns how many it wrote. Entries past the table's
    /// room are dropped (the kernel's stub moves them to a setup_data extension; merged maps of real firmware
    /// stay far below 128).
    public static func writeE820(map: UnsafeRawPointer, count: Int, descriptorSize: Int,
                                 into table: UnsafeMutableRawPointer) -> Int
    {
        var written = 0
        for i in 0..<count {
            let d = map + i &* descriptorSize
            let type = e820Type(d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.type, as: UInt32.self))
            guard type != 0 else { continue }
            let start = d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.physicalStart, as: UInt64.self)
            let size = d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.numberOfPages, as: UInt64.self) &* UInt64(EFI.pageSize)
            if written > 0 {
                let last = table + (written &- 1) &* E820.entrySize
                let lastStart = last.loadUnaligned(as: UInt64.self), lastSize = last.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                if last.loadUnaligned(fromByteOffset: 16, as: UInt32.self) == type, lastStart &+ lastSize == start {
                    last.storeBytes(of: lastSize &+ size, toByteOffset: 8, as: UInt64.self)
                    continue
                }
            }
            guard written < E820.maxEntries else { continue }
            let entry = table + written &* E820.entrySize
            entry.storeBytes(of: start, as: UInt64.self)
            entry.storeBytes(of: size, toByteOffset: 8, as: UInt64.self)
            entry.storeBytes(of: type, toByteOffset: 16, as: UInt32.self)
            written &+= 1
        }
        return written
    }
}
