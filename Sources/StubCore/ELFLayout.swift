/// Where ELF64 keeps what is read of it: the offsets of the file header's (`Elf64_Ehdr`) and a program header's
/// (`Elf64_Phdr`) fields, their sizes, and the values checked, named as in `<elf.h>`. Here, freestanding, because
/// the stub places the kernel's segments (`KernelPlacement`, the kernel's parse_elf); ElfKit's reader parses the
/// same records with the same offsets.
/// Computed, not stored: a stored `static let` becomes a global in the stub's .rodata, which the linker keeps
/// whole in every stub that reads any global.
public enum ELFLayout {
    /// `e_ident[EI_MAG0...EI_MAG3]`: "\x7FELF".
    public static var magic: (UInt8, UInt8, UInt8, UInt8) { (0x7F, 0x45, 0x4C, 0x46) }

    /// Whether `bytes` (at least 4 of them) starts with the magic. Byte by byte, as the stub always compared it.
    @inline(__always)
    public static func startsWithMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes[0] == magic.0 && bytes[1] == magic.1 && bytes[2] == magic.2 && bytes[3] == magic.3
    }
    /// `e_ident[EI_CLASS]` and its value for ELF64.
    public static var classIndex: Int { 4 }
    public static var class64: UInt8 { 2 }
    /// `e_ident[EI_DATA]` and `e_ident[EI_VERSION]`.
    public static var dataIndex: Int { 5 }
    public static var versionIndex: Int { 6 }

    /// `Elf64_Ehdr`.
    public enum FileHeader {
        public static var size: Int { 64 }
        public static var type: Int { 0x10 }  // e_type
        public static var machine: Int { 0x12 }  // e_machine
        public static var version: Int { 0x14 }  // e_version
        public static var entry: Int { 0x18 }  // e_entry
        public static var programHeaderOffset: Int { 0x20 }  // e_phoff
        public static var sectionHeaderOffset: Int { 0x28 }  // e_shoff
        public static var flags: Int { 0x30 }  // e_flags
        public static var headerSize: Int { 0x34 }  // e_ehsize
        public static var programHeaderEntrySize: Int { 0x36 }  // e_phentsize
        public static var programHeaderCount: Int { 0x38 }  // e_phnum
        public static var sectionHeaderEntrySize: Int { 0x3A }  // e_shentsize
        public static var sectionCount: Int { 0x3C }  // e_shnum
        public static var sectionNameTableIndex: Int { 0x3E }  // e_shstrndx
    }

    /// `Elf64_Phdr`.
    public enum ProgramHeader {
        public static var size: Int { 56 }
        public static var type: Int { 0 }  // p_type
        public static var flags: Int { 4 }  // p_flags
        public static var offset: Int { 8 }  // p_offset
        public static var virtualAddress: Int { 16 }  // p_vaddr
        public static var physicalAddress: Int { 24 }  // p_paddr
        public static var fileSize: Int { 32 }  // p_filesz
        public static var memorySize: Int { 40 }  // p_memsz
        public static var alignment: Int { 48 }  // p_align

        /// `PT_LOAD`.
        public static var load: UInt32 { 1 }
    }
}
