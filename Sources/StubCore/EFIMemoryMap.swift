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
        /// setup_data's type SETUP_E820_EXT, and its header's size (next, type, len).
        public static var extensionType: UInt32 { 1 }
        public static var extensionHeader: Int { 16 }
    }

    /// Writes the E820 entries for `count` descriptors of `descriptorSize` bytes at `map` into boot_params
    /// (e820_table, e820_entries), merging neighbours of one type; returns how many there are. Those past the
    /// table's 128 go into `extension`, a setup_data node with room for `extensionRoom` entries, which then
    /// becomes SETUP_E820_EXT at the end of boot_params' setup_data chain (`x86-stub.c: setup_e820`); entries
    /// past that room too are dropped.
    @discardableResult
    public static func writeE820(map: UnsafeRawPointer, count: Int, descriptorSize: Int,
                                 bootParams: UnsafeMutableRawPointer, extension node: UnsafeMutableRawPointer?,
                                 extensionRoom: Int) -> Int
    {
        let table = UInt(bitPattern: bootParams + ZeroPage.e820Table)
        // Where entry 128 + k lands, less 128 entries: entry i is at (i < 128 ? table : rest) + 20 i.
        let rest = UInt(bitPattern: node) &+ UInt(bitPattern: E820.extensionHeader &- E820.maxEntries &* E820.entrySize)
        let room = E820.maxEntries &+ (node == nil ? 0 : max(extensionRoom, 0))
        func entry(_ i: Int) -> UnsafeMutableRawPointer {
            UnsafeMutableRawPointer(bitPattern: (i < E820.maxEntries ? table : rest) &+ UInt(bitPattern: i &* E820.entrySize))!
        }
        var written = 0
        for i in 0..<count {
            let d = map + i &* descriptorSize
            let type = e820Type(d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.type, as: UInt32.self))
            guard type != 0 else { continue }
            let start = d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.physicalStart, as: UInt64.self)
            let size = d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.numberOfPages, as: UInt64.self) &* UInt64(EFI.pageSize)
            if written > 0 {
                let last = entry(written &- 1)
                let lastStart = last.loadUnaligned(as: UInt64.self), lastSize = last.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                if last.loadUnaligned(fromByteOffset: 16, as: UInt32.self) == type, lastStart &+ lastSize == start {
                    last.storeBytes(of: lastSize &+ size, toByteOffset: 8, as: UInt64.self)
                    continue
                }
            }
            guard written < room else { continue }
            let next = entry(written)
            next.storeBytes(of: start, as: UInt64.self)
            next.storeBytes(of: size, toByteOffset: 8, as: UInt64.self)
            next.storeBytes(of: type, toByteOffset: 16, as: UInt32.self)
            written &+= 1
        }
        bootParams.storeBytes(of: UInt8(min(written, E820.maxEntries)), toByteOffset: ZeroPage.e820Entries, as: UInt8.self)
        if written > E820.maxEntries, let node {
            // setup_data {u64 next, u32 type, u32 len, data}; `next` first, so each node is its own link field.
            node.storeBytes(of: 0, as: UInt64.self)
            node.storeBytes(of: E820.extensionType, toByteOffset: 8, as: UInt32.self)
            node.storeBytes(of: UInt32((written &- E820.maxEntries) &* E820.entrySize), toByteOffset: 12, as: UInt32.self)
            var link = bootParams + ZeroPage.setupData
            while let next = UnsafeMutableRawPointer(bitPattern: UInt(link.loadUnaligned(as: UInt64.self))) { link = next }
            link.storeBytes(of: word(node), as: UInt64.self)
        }
        return written
    }
}
