import SetupHeader
import StubAsm

extension ImageAssembly {
    /// startup_32 (`code32_start`), entered by our 16-bit setup, GRUB's `linux` and OVMF's legacy loader: 32-bit
    /// flat protected mode, paging off, ESI = boot_params, no stack. Finds where it runs, checks for long mode,
    /// builds the 4 GiB identity map at the end of the init_size buffer and enters long mode at from_32.
    mutating func startup_32() {
        let probe = a.label("probe"), noLongMode = a.label("no_long_mode")
        a.bind(startup32)
        a.cld()
        a.cli()
        a.lea(.esp, .bootParams(.esi, .scratch, plus: 4))  // boot_params.scratch as a one-word stack for the probe
        a.call(probe)
        a.bind(probe)
        a.pop(.ebp)
        a.sub(.ebp, probe.offset)  // EBP = where we run
        // Long mode or a clear message (first: cpuid clobbers EBX).
        a.mov(.eax, X86.CPUID.extendedMaxLeaf)
        a.cpuid()
        a.cmp(.eax, X86.CPUID.extendedFeatures)
        a.jcc(.b, noLongMode)
        a.mov(.eax, X86.CPUID.extendedFeatures)
        a.cpuid()
        a.bt(.edx, X86.CPUID.longModeBit)
        a.jcc(.nc, noLongMode)
        // EBX = this image's place at the end of the init_size buffer; the page tables and the stack are there.
        locateOutput()
        a.lea(.esp, .mem(.ebx, stackTop.offset))
        // Our GDT (0x10: 64-bit code, 0x18: data).
        a.lea(.eax, .mem(.ebp, gdt.offset))
        a.mov(.mem(.ebp, gdtDescriptor.offset + 2), .eax)
        a.lgdt(.mem(.ebp, gdtDescriptor.offset))
        a.loadDataSegments()
        identityMapLow4GiB()
        // PAE, the tables, EFER.LME, paging: long mode, entered by a far return.
        a.mov(.eax, .cr4)
        a.or(.eax, X86.CR4.pae)
        a.mov(.cr4, .eax)
        a.lea(.eax, .mem(.ebx, pageTables.offset))
        a.mov(.cr3, .eax)
        a.mov(.ecx, X86.EFER.msr)
        a.rdmsr()
        a.bts(.eax, X86.EFER.longModeEnableBit)
        a.wrmsr()
        a.mov(.eax, .cr0)
        a.bts(.eax, X86.CR0.pagingBit)
        a.mov(.cr0, .eax)
        a.push(X86.Selector.code)
        a.lea(.eax, .mem(.ebp, from32.offset))
        a.push(.eax)
        a.retf()

        // No long mode: say so on the screen and COM1 (no command-line scan here: where nothing is listening
        // if there is no port), then halt.
        a.bind(noLongMode)
        a.mov(.edx, .esi)
        a.lea(.esi, .mem(.ebp, noLongModeMessage.offset))
        a.push(.esi)
        vgaPrint()
        a.pop(.esi)
        a.mov(.cx, UART.com1)
        serialPrint()
        let halt32 = a.here()
        a.hlt()
        a.jmp(halt32, .short)
    }
}
