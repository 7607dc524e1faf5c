import SetupHeader
import StubAsm

/// The setup sectors: the boot sector (0xFF-filled, no MZ: we have no EFI stub), the setup header, and the 16-bit
/// code a loader enters at setup + 0x200 (QEMU `-kernel`, GRUB `linux16`). It builds `boot_params` the way the
/// kernel's setup does — a zeroed page with the loader-patched header copied in, and the BIOS E820 map — enables
/// A20, switches to 32-bit protected mode with the boot GDT and jumps to `code32_start` with ESI = boot_params.
enum RealModeSetup {
    /// Where boot_params lives in the setup segment: below setup_move_size (0x8000), above the setup code.
    static let bootParams = 0x6000
    static let stackTop = 0x7FF0

    /// The setup bytes (without the header fields, which the image writer fills in) and where the kernel
    /// version string is.
    static func assemble(kernelVersion: String) throws(AssemblerError) -> (bytes: [UInt8], versionOffset: Int) {
        var s = Assembler(mode: .bits16)
        let normalised = s.label("normalised"), e820 = s.label("e820"), e820Done = s.label("e820_done")
        let protected32 = s.label("pm32"), gdt = s.label("gdt"), gdtDescriptor = s.label("gdt_desc")
        let version = s.label("version")
        let bp = bootParams

        s.space(0x1F1, fill: 0xFF)
        s.space(SetupHeader.end - 0x1F1)  // header, incl. the jump at 0x200, written by the image writer

        // Entered at CS = setup segment + 0x20, IP = 0, after the jump at 0x200.
        s.cli()
        s.cld()
        s.mov(.ax, .cs)
        s.sub(.ax, 0x20)
        s.mov(.ds, .ax)
        s.mov(.es, .ax)
        s.mov(.ss, .ax)
        s.mov(.sp, Imm(stackTop))
        s.push(.ds)  // CS = the setup segment, so offsets are the file's
        s.push(.word, normalised.offset)
        s.retf()
        s.bind(normalised)

        // boot_params: zeroed, then the header as the loader patched it (cmdline, initrd, type_of_loader).
        s.mov(.di, Imm(bp))
        s.xor(.ax, .ax)
        s.mov(.cx, 2048)
        s.stos(.word, .rep)
        s.mov(.si, Imm(SetupHeader.start))
        s.mov(.di, Imm(bp + SetupHeader.start))
        s.mov(.cx, Imm(SetupHeader.end - SetupHeader.start))
        s.movs(.byte, .rep)

        // E820 memory map: up to 128 entries of 20 bytes at boot_params + 0x2D0, count at + 0x1E8.
        s.xor(.ebx, .ebx)
        s.mov(.di, Imm(bp + 0x2D0))
        s.xor(.bp, .bp)
        s.bind(e820)
        s.mov(.eax, 0xE820)
        s.mov(.edx, 0x534D_4150)  // "SMAP"
        s.mov(.ecx, 20)
        s.int(0x15)
        s.jcc(.c, e820Done)
        s.cmp(.eax, 0x534D_4150)
        s.jcc(.ne, e820Done)
        s.add(.di, 20)
        s.inc(.bp)
        s.cmp(.bp, 128)
        s.jcc(.ae, e820Done)
        s.test(.ebx, .ebx)
        s.jcc(.nz, e820)
        s.bind(e820Done)
        s.mov(.ax, .bp)
        s.mov(.mem(Imm(bp + 0x1E8)), .al)

        // screen_info: the BIOS's current video mode and cursor, as the kernel's setup records them (the kernel's
        // console and our stub's error messages use them).
        let notVGA = s.label(), linesKnown = s.label()
        s.mov(.ah, 0x03)
        s.xor(.bh, .bh)
        s.int(0x10)
        s.mov(.mem(Imm(bp + 0x00)), .dx)  // orig_x, orig_y
        s.mov(.ah, 0x0F)
        s.int(0x10)
        s.and(.al, 0x7F)
        s.mov(.mem(Imm(bp + 0x06)), .ax)  // orig_video_mode, orig_video_cols
        s.mov(.mem(Imm(bp + 0x04)), .bh)  // orig_video_page
        s.push(.ds)
        s.xor(.ax, .ax)
        s.mov(.ds, .ax)
        s.mov(.al, .mem(0x484))   // BIOS data area: rows − 1
        s.mov(.bx, .mem(0x485))   // character height
        s.pop(.ds)
        s.inc(.al)
        s.cmp(.al, 1)
        s.jcc(.a, linesKnown)
        s.mov(.al, 25)
        s.bind(linesKnown)
        s.mov(.mem(Imm(bp + 0x0E)), .al)  // orig_video_lines
        s.mov(.mem(Imm(bp + 0x10)), .bx)  // orig_video_points
        s.mov(.ax, 0x1A00)  // display combination: answered by VGA BIOSes only
        s.int(0x10)
        s.cmp(.al, 0x1A)
        s.jcc(.ne, notVGA)
        s.mov(.byte, .mem(Imm(bp + 0x0F)), 1)  // orig_video_isVGA
        s.bind(notVGA)

        // A20 through port 0x92, NMIs and PICs masked.
        s.in(.al, 0x92)
        s.or(.al, 2)
        s.and(.al, 0xFE)
        s.out(0x92, .al)
        s.mov(.al, 0x80)
        s.out(0x70, .al)
        s.mov(.al, 0xFF)
        s.out(0xA1, .al)
        s.mov(.al, 0xFB)
        s.out(0x21, .al)

        // Linear addresses: the GDT's base and boot_params.
        s.xor(.eax, .eax)
        s.mov(.ax, .ds)
        s.shl(.eax, 4)
        s.mov(.edx, .eax)
        s.add(.edx, gdt.offset)
        s.mov(.mem(gdtDescriptor.offset + 2), .edx)
        s.mov(.esi, .eax)
        s.add(.esi, Imm(bp))
        s.lgdt(.dword, .mem(gdtDescriptor.offset))
        s.mov(.ecx, .cr0)
        s.or(.ecx, 1)
        s.mov(.cr0, .ecx)
        s.push(.dword, 0x10)
        s.add(.eax, protected32.offset)
        s.push(.eax)
        s.retf(.dword)

        // 32-bit, flat: the boot protocol's state for code32_start.
        s.mode = .bits32
        s.bind(protected32)
        s.mov(.ax, 0x18)
        s.mov(.ds, .ax)
        s.mov(.es, .ax)
        s.mov(.fs, .ax)
        s.mov(.gs, .ax)
        s.mov(.ss, .ax)
        s.mov(.esp, .esi)
        s.xor(.ebx, .ebx)
        s.xor(.edi, .edi)
        s.xor(.ebp, .ebp)
        s.jmp(.mem(.esi, 0x214))  // boot_params.hdr.code32_start

        s.align(16)
        s.bind(gdt)
        s.dq(0, 0, 0x00CF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF)  // 0x10 code, 0x18 data, flat 4 GiB
        s.bind(gdtDescriptor)
        s.dw(31)
        s.dd(0)
        s.bind(version)
        s.asciz(kernelVersion)
        let bytes = try s.finish()
        return (bytes, s.offset(of: version)!)
    }
}
