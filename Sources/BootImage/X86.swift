import StubAsm

/// The x86 architecture's numbers the boot code uses, named as in Intel's SDM and the kernel's headers.
enum X86 {
    /// Control-register bits: CR0's as bit numbers (`bts`), CR4's as masks.
    enum CR0 {
        static let protectionEnable: Imm = 0x1
        static let pagingBit: Imm = 31
    }

    enum CR4 {
        static let pae: Imm = 0x20
    }

    /// `IA32_EFER` and its long-mode-enable bit.
    enum EFER {
        static let msr: Imm = 0xC000_0080
        static let longModeEnableBit: Imm = 8
    }

    enum CPUID {
        /// Leaf 1: ECX bit 30 is RDRAND.
        static let features: Imm = 1
        static let rdrandBit: Imm = 30
        /// The highest extended leaf is returned by 0x8000_0000; 0x8000_0001 EDX bit 29 is long mode.
        static let extendedMaxLeaf: Imm = 0x8000_0000
        static let extendedFeatures: Imm = 0x8000_0001
        static let longModeBit: Imm = 29
    }

    /// Page-table entries (4-level paging).
    enum Page {
        static let size = 0x1000
        static let largeSize = 0x20_0000
        static let entriesPerTable = 512
        /// A table pointer: present, writable, user (the kernel's compressed head uses 0x7 too).
        static let table: Imm = 0x7
        /// A 2 MiB page: present, writable, page size.
        static let large2M: Imm = 0x83
    }

    /// The selectors of our GDTs: 0x10 code (64-bit in the protected-mode image, 32-bit in the setup), 0x18 data.
    enum Selector {
        static let code: Imm = 0x10
        static let data: Imm = 0x18
    }

    /// A 64-bit IDT entry's type word: present, DPL 0, interrupt gate.
    static let interruptGate: Imm = 0x8E00
    static let idtEntrySize = 16
    /// The exceptions for which the CPU pushes an error code (#DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX).
    static let exceptionsWithErrorCode: Set<Int> = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30]
}

extension Assembler {
    /// DS, ES, FS, GS and SS = our flat data segment (through AX), as after each GDT load in 32-bit code.
    mutating func loadDataSegments() {
        mov(.ax, X86.Selector.data)
        for segment: SegmentReg in [.ds, .es, .fs, .gs, .ss] { mov(segment, .ax) }
    }
}

/// The PC's 16550 serial ports, as the kernel's `ttyS0`…`ttyS3` number them.
enum UART {
    static let ports: [Imm] = [0x3F8, 0x2F8, 0x3E8, 0x2E8]
    static let com1: Imm = 0x3F8
    /// Line status register (base + 5); bit 5: the transmit holding register is empty.
    static let lineStatus: Imm = 5
    static let transmitterEmpty: Imm = 0x20
}

/// The VGA text screen.
enum VGA {
    static let colourText: Imm = 0xB8000
    static let monochromeText: Imm = 0xB0000
    /// BIOS video mode 7: monochrome text.
    static let monochromeMode: Imm = 7
    /// Grey on black.
    static let attribute: Imm = 0x07
}
