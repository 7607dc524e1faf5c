import SetupHeader
import StubAsm

extension ImageAssembly {
    /// The output (where the kernel is decompressed): the address this image runs from (EBP/RBP) rounded up to
    /// kernel_alignment, at least LOAD_PHYSICAL_ADDR. This image moves to the end of the init_size buffer from
    /// there: EBX/RBX = output + init_size − _end. ESI/RSI = boot_params; the 64-bit entry keeps the output in R14.
    /// (One routine for both modes: the 32-bit entry needs it for its page tables, the 64-bit one for the move.)
    mutating func locateOutput() {
        let aligned = a.label()
        if a.mode == .bits64 {
            a.mov(.eax, .bootParams(.rsi, .kernel_alignment))
            a.dec(.eax)
            a.lea(.rbx, .mem(.rbp, .rax))
            a.not(.rax)
            a.and(.rbx, .rax)
            a.mov(.eax, load)  // compared as 64 bits: a sign-extended immediate would not do above 2 GiB
            a.cmp(.rbx, .rax)
            a.jcc(.ae, aligned)
            a.mov(.rbx, .rax)
            a.bind(aligned)
            a.mov(.r14, .rbx)
            a.mov(.eax, .bootParams(.rsi, .init_size))
            a.add(.rbx, .rax)
            a.sub(.rbx, end.offset)
        } else {
            a.mov(.eax, .bootParams(.esi, .kernel_alignment))
            a.dec(.eax)
            a.lea(.ebx, .mem(.ebp, .eax))
            a.not(.eax)
            a.and(.ebx, .eax)
            a.cmp(.ebx, load)
            a.jcc(.ae, aligned)
            a.mov(.ebx, load)
            a.bind(aligned)
            a.add(.ebx, .bootParams(.esi, .init_size))
            a.sub(.ebx, end.offset)
        }
    }

    /// Moves [0, _edata) from RBP to RBX, backwards since the ranges may overlap upwards, and continues in the
    /// copy at `relocated` (as the kernel's head_64.S does before it decompresses in place).
    mutating func moveToBufferEnd() {
        a.lea(.rsi, .mem(.rbp, edata.offset - 8))
        a.lea(.rdi, .mem(.rbx, edata.offset - 8))
        a.mov(.ecx, edata.offset / 8)
        a.std()
        a.movs(.qword, .rep)
        a.cld()
        a.lea(.rax, .mem(.rbx, relocatedEntry.offset))
        a.jmp(.rax)
    }
}
