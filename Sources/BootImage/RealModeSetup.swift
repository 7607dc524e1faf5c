import SetupHeader
import StubAsm

/// The setup sectors: the boot sector (0xFF-filled, no MZ: we have no EFI stub), the setup header, and the 16-bit
/// code a loader enters at setup + 0x200 (QEMU `-kernel`, GRUB `linux16`). It builds `boot_params` the way the
/// kernel's setup does — a zeroed page with the loader-patched header copied in, the BIOS E820 map and
/// screen_info — enables A20, switches to 32-bit protected mode with the boot GDT and jumps to `code32_start`
/// with ESI = boot_params.
struct RealModeSetup {
    /// Where boot_params lives in the setup segment: below setup_move_size (0x8000), above the setup code.
    static let bootParams = 0x6000
    static let stackTop = 0x7FF0
    /// INT 15h AX=E820's signature, "SMAP".
    static let smap: Imm = 0x534D_4150
    /// The BIOS data area's text rows − 1 and character height (bytes 0x484, 0x485 of segment 0).
    static let biosRows: Imm = 0x484, biosCharacterHeight: Imm = 0x485
    /// The setup's GDT entries (accessed bit set, as the kernel's setup has them).
    static let code32: Imm = 0x00CF_9B00_0000_FFFF
    static let data32: Imm = 0x00CF_9300_0000_FFFF

    var s = Assembler(mode: .bits16)
    let gdt: Label, gdtDescriptor: Label

    /// The setup bytes (without the header fields, which the image writer fills in) and where the kernel
    /// version string is.
    static func assemble(kernelVersion: String) throws(AssemblerError) -> (bytes: [UInt8], versionOffset: Int) {
        var setup = RealModeSetup()
        setup.s.space(SetupHeader.start, fill: 0xFF)
        setup.s.space(SetupHeader.end - SetupHeader.start)  // header, incl. the jump at 0x200, written by the image writer
        setup.normalise()
        setup.bootParamsFromHeader()
        setup.e820()
        setup.screenInfo()
        setup.a20()
        setup.protectedMode()
        return try setup.data(kernelVersion: kernelVersion)
    }

    private init() {
        gdt = s.label("gdt")
        gdtDescriptor = s.label("gdt_desc")
    }

    /// A boot_params field in the setup segment.
    private func field(_ field: BootParams.Field) -> Imm { Imm(Self.bootParams + field.offset) }

    /// Entered at CS = setup segment + 0x20, IP = 0, after the jump at 0x200: DS = ES = SS = CS = the setup
    /// segment, so offsets are the file's.
    private mutating func normalise() {
        let normalised = s.label("normalised")
        s.cli()
        s.cld()
        s.mov(.ax, .cs)
        s.sub(.ax, Imm(SetupHeader.Field.jump.offset / 16))  // the jump's paragraph
        s.mov(.ds, .ax)
        s.mov(.es, .ax)
        s.mov(.ss, .ax)
        s.mov(.sp, Imm(Self.stackTop))
        s.push(.ds)
        s.push(.word, normalised.offset)
        s.retf()
        s.bind(normalised)
    }

    /// boot_params: zeroed, then the header as the loader patched it (cmdline, initrd, type_of_loader).
    private mutating func bootParamsFromHeader() {
        s.mov(.di, Imm(Self.bootParams))
        s.xor(.ax, .ax)
        s.mov(.cx, Imm(BootParams.size / 2))
        s.stos(.word, .rep)
        s.mov(.si, Imm(SetupHeader.start))
        s.mov(.di, Imm(Self.bootParams + BootParams.offset(of: .setup_sects)))
        s.mov(.cx, Imm(SetupHeader.end - SetupHeader.start))
        s.movs(.byte, .rep)
    }

    /// The E820 memory map: up to 128 entries of 20 bytes in boot_params.e820_table, their count in e820_entries.
    private mutating func e820() {
        let next = s.label("e820"), done = s.label("e820_done")
        s.xor(.ebx, .ebx)
        s.mov(.di, field(.e820_table))
        s.xor(.bp, .bp)
        s.bind(next)
        s.mov(.eax, 0xE820)
        s.mov(.edx, Self.smap)
        s.mov(.ecx, Imm(BootParams.e820EntrySize))
        s.int(0x15)
        s.jcc(.c, done)
        s.cmp(.eax, Self.smap)
        s.jcc(.ne, done)
        s.add(.di, Imm(BootParams.e820EntrySize))
        s.inc(.bp)
        s.cmp(.bp, Imm(BootParams.e820MaxEntries))
        s.jcc(.ae, done)
        s.test(.ebx, .ebx)
        s.jcc(.nz, next)
        s.bind(done)
        s.mov(.ax, .bp)
        s.mov(.mem(field(.e820_entries)), .al)
    }

    /// screen_info: the BIOS's current video mode and cursor, as the kernel's setup records them (the kernel's
    /// console and our stub's error messages use them).
    private mutating func screenInfo() {
        let notVGA = s.label(), linesKnown = s.label()
        s.mov(.ah, 0x03)  // INT 10h: cursor position
        s.xor(.bh, .bh)
        s.int(0x10)
        s.mov(.mem(field(.orig_x)), .dx)  // orig_x, orig_y
        s.mov(.ah, 0x0F)  // INT 10h: video mode
        s.int(0x10)
        s.and(.al, 0x7F)
        s.mov(.mem(field(.orig_video_mode)), .ax)  // orig_video_mode, orig_video_cols
        s.mov(.mem(field(.orig_video_page)), .bh)
        s.push(.ds)
        s.xor(.ax, .ax)
        s.mov(.ds, .ax)
        s.mov(.al, .mem(Self.biosRows))
        s.mov(.bx, .mem(Self.biosCharacterHeight))
        s.pop(.ds)
        s.inc(.al)
        s.cmp(.al, 1)
        s.jcc(.a, linesKnown)
        s.mov(.al, 25)
        s.bind(linesKnown)
        s.mov(.mem(field(.orig_video_lines)), .al)
        s.mov(.mem(field(.orig_video_points)), .bx)
        s.mov(.ax, 0x1A00)  // display combination: answered by VGA BIOSes only
        s.int(0x10)
        s.cmp(.al, 0x1A)
        s.jcc(.ne, notVGA)
        s.mov(.byte, .mem(field(.orig_video_isVGA)), 1)
        s.bind(notVGA)
    }

    /// A20 through port 0x92 ("fast A20"), NMIs and the PICs masked (the cascade line to the slave stays open).
    private mutating func a20() {
        s.in(.al, 0x92)
        s.or(.al, 2)
        s.and(.al, 0xFE)  // bit 0 would reset the machine
        s.out(0x92, .al)
        s.mov(.al, 0x80)  // CMOS index port: NMI off
        s.out(0x70, .al)
        s.mov(.al, 0xFF)
        s.out(0xA1, .al)
        s.mov(.al, 0xFB)
        s.out(0x21, .al)
    }

    /// Into 32-bit protected mode with linear addresses (the GDT's base and boot_params), then the boot
    /// protocol's state for code32_start: flat segments, ESI = boot_params.
    private mutating func protectedMode() {
        let protected32 = s.label("pm32")
        s.xor(.eax, .eax)
        s.mov(.ax, .ds)
        s.shl(.eax, 4)
        s.mov(.edx, .eax)
        s.add(.edx, gdt.offset)
        s.mov(.mem(gdtDescriptor.offset + 2), .edx)
        s.mov(.esi, .eax)
        s.add(.esi, Imm(Self.bootParams))
        s.lgdt(.dword, .mem(gdtDescriptor.offset))
        s.mov(.ecx, .cr0)
        s.or(.ecx, X86.CR0.protectionEnable)
        s.mov(.cr0, .ecx)
        s.push(.dword, X86.Selector.code)
        s.add(.eax, protected32.offset)
        s.push(.eax)
        s.retf(.dword)

        s.mode = .bits32
        s.bind(protected32)
        s.loadDataSegments()
        s.mov(.esp, .esi)
        s.xor(.ebx, .ebx)
        s.xor(.edi, .edi)
        s.xor(.ebp, .ebp)
        s.jmp(.bootParams(.esi, .code32_start))
    }

    /// The GDT (0x10 code, 0x18 data: X86.Selector, flat 4 GiB) and the kernel version string.
    private mutating func data(kernelVersion: String) throws(AssemblerError) -> (bytes: [UInt8], versionOffset: Int) {
        let version = s.label("version")
        s.align(16)
        s.bind(gdt)
        s.dq(0, 0, Self.code32, Self.data32)
        s.bind(gdtDescriptor)
        s.dw(Imm(GDT.entries * 8 - 1))
        s.dd(0)
        s.bind(version)
        s.asciz(kernelVersion)
        return (try s.finish(), s.offset(of: version)!)
    }
}
