import StubCore

/// ELF64 constants this module reads, named as in the ELF specification (`<elf.h>`). The record layout (field
/// offsets and sizes) is StubCore's `ELFLayout`, which the boot stub reads too.
public enum ELF {
    public static let magic: [UInt8] = [ELFLayout.magic.0, ELFLayout.magic.1, ELFLayout.magic.2, ELFLayout.magic.3]

    public enum Class: UInt8 { case elf32 = 1, elf64 = 2 }
    public enum Encoding: UInt8 { case littleEndian = 1, bigEndian = 2 }

    public enum FileType: UInt16 {
        case none = 0, relocatable = 1, executable = 2, sharedObject = 3, core = 4
    }

    public enum Machine {
        public static let x86_64: UInt16 = 62
    }

    /// Fixed record sizes of ELF64.
    public enum Size {
        public static let fileHeader = ELFLayout.FileHeader.size
        public static let programHeader = ELFLayout.ProgramHeader.size
        public static let sectionHeader = 64
        public static let symbol = 24
        public static let rela = 24
        public static let rel = 16
    }

    public enum SectionType {
        public static let null: UInt32 = 0
        public static let progbits: UInt32 = 1
        public static let symtab: UInt32 = 2
        public static let strtab: UInt32 = 3
        public static let rela: UInt32 = 4
        public static let hash: UInt32 = 5
        public static let dynamic: UInt32 = 6
        public static let note: UInt32 = 7
        public static let nobits: UInt32 = 8
        public static let rel: UInt32 = 9
        public static let dynsym: UInt32 = 11
        public static let group: UInt32 = 17
        public static let symtabShndx: UInt32 = 18
    }

    public struct SectionFlags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        public static let write = SectionFlags(rawValue: 0x1)
        public static let alloc = SectionFlags(rawValue: 0x2)
        public static let execInstr = SectionFlags(rawValue: 0x4)
        public static let merge = SectionFlags(rawValue: 0x10)
        public static let strings = SectionFlags(rawValue: 0x20)
        public static let infoLink = SectionFlags(rawValue: 0x40)
        public static let linkOrder = SectionFlags(rawValue: 0x80)
    }

    /// Reserved section indices.
    public enum SectionIndex {
        public static let undefined: UInt32 = 0
        public static let loReserve: UInt32 = 0xFF00
        public static let absolute: UInt32 = 0xFFF1
        public static let common: UInt32 = 0xFFF2
        public static let xindex: UInt32 = 0xFFFF
    }

    public enum SegmentType {
        public static let load: UInt32 = ELFLayout.ProgramHeader.load
        public static let note: UInt32 = 4
    }

    /// x86-64 relocation types (System V AMD64 psABI).
    public enum X86_64Relocation {
        public static let none: UInt32 = 0
        public static let r64: UInt32 = 1
        public static let pc32: UInt32 = 2
        public static let got32: UInt32 = 3
        public static let plt32: UInt32 = 4
        public static let r32: UInt32 = 10
        public static let r32s: UInt32 = 11
        public static let r16: UInt32 = 12
        public static let pc16: UInt32 = 13
        public static let r8: UInt32 = 14
        public static let pc8: UInt32 = 15
        public static let pc64: UInt32 = 24
        public static let gotpcrelx: UInt32 = 41
        public static let rexGotpcrelx: UInt32 = 42

        /// The psABI name, for messages.
        public static func name(_ type: UInt32) -> String {
            let names: [UInt32: String] = [
                0: "R_X86_64_NONE", 1: "R_X86_64_64", 2: "R_X86_64_PC32", 3: "R_X86_64_GOT32",
                4: "R_X86_64_PLT32", 5: "R_X86_64_COPY", 6: "R_X86_64_GLOB_DAT", 7: "R_X86_64_JUMP_SLOT",
                8: "R_X86_64_RELATIVE", 9: "R_X86_64_GOTPCREL", 10: "R_X86_64_32", 11: "R_X86_64_32S",
                12: "R_X86_64_16", 13: "R_X86_64_PC16", 14: "R_X86_64_8", 15: "R_X86_64_PC8",
                24: "R_X86_64_PC64", 25: "R_X86_64_GOTOFF64", 26: "R_X86_64_GOTPC32",
                41: "R_X86_64_GOTPCRELX", 42: "R_X86_64_REX_GOTPCRELX",
            ]
            return names[type] ?? "R_X86_64_\(type)"
        }
    }
}
