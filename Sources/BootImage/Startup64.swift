import StubAsm

extension ImageAssembly {
    /// startup_64 at 0x200, entered by kexec and 64-bit loaders: long mode, RSI = boot_params, the loader's
    /// identity map (which covers at least this image's init_size buffer, boot_params and the command line),
    /// anywhere in memory, above 4 GiB included. startup_32 joins at from_32 with our own tables already built.
    /// R13D = 1 while our page tables are still to be built.
    mutating func startup_64() {
        let common = a.label()
        a.align(ProtectedModeImage.startup64Offset, fill: 0xCC)
        a.mode = .bits64
        a.bind(startup64)
        a.cld()
        a.cli()
        a.mov(.r13d, 1)
        a.jmp(common)
        a.bind(from32)
        a.mov(.esi, .esi)  // boot_params, zero-extended
        a.xor(.r13d, .r13d)
        a.bind(common)
        a.lea(.rbp, .rip(startup32))
        locateOutput()  // R14 = output, RBX = this image's place at the end of the init_size buffer
        a.lea(.rsp, .mem(.rbx, stackTop.offset))
        a.mov(.r15, .rsi)
        moveToBufferEnd()
    }
}
