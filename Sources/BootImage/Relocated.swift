import StubAsm
import StubCore

extension ImageAssembly {
    /// After the move, in the copy at the end of the init_size buffer. From here on the code reaches its data
    /// RIP-relative: RBX = this copy, R14 = output, R15 = boot_params. Decompressing in place overwrites the head,
    /// so this code lives past the payload (as the kernel's .text follows its .rodata..compressed).
    mutating func relocated() {
        let tablesReady = a.label(), failed = a.label("stub_failed")
        a.align(16)
        a.bind(relocatedEntry)
        a.mov(.rip(bootParamsSlot), .r15)
        a.lea(.rax, .rip(gdt))
        a.mov(.rip(gdtDescriptor.address + 2), .rax)
        a.lgdt(.rip(gdtDescriptor))
        a.mov(.eax, X86.Selector.data)
        a.mov(.ds, .ax)
        a.mov(.es, .ax)
        a.mov(.ss, .ax)
        a.lea(.rdi, .rip(edata))  // bss up to the page tables (which may be in use)
        a.xor(.eax, .eax)
        a.mov(.ecx, (pageTables.offset - edata.offset) / 8)
        a.stos(.qword, .rep)
        // Trap handlers from here on: a fault prints its vector and RIP instead of resetting the machine.
        installIDT()
        // Entered at 64 bits: our own identity map (the loader's may cover little more than this buffer).
        a.test(.r13d, .r13d)
        a.jcc(.z, tablesReady)
        a.call(buildPageTables)
        a.bind(tablesReady)
        // Where errors go: the serial port the command line names, if any.
        a.call(findSerialPort)
        // KASLR: the virtual delta the stub applies through the relocation table, and loadflags' KASLR_FLAG.
        a.call(chooseVirtualBase)
        callStub(failed: failed)
        // The stub failed: RAX = −1 − BootFailure; print its message.
        a.bind(failed)
        a.not(.rax)
        a.lea(.rsi, .rip(failureMessages))
        a.movzx(.eax, .word, .mem(.rsi, .rax, scale: 2))
        a.add(.rsi, .rax)
        a.call(report)
        a.jmp(haltForever)
    }

    /// stub_boot(payload, length, output, capacity, workspace, parameters) in the System V ABI; on success, the
    /// kernel's startup_64 with RSI = boot_params.
    private mutating func callStub(failed: Label) {
        let stubCall = a.label("stub_call")
        a.lea(.rdi, .rip(payload))
        a.mov(.esi, Imm(p.payload.count))
        a.mov(.rdx, .r14)
        // Decompression is in place: the output may grow over what was already read, up to the payload's end
        // (init_size keeps the write position behind the read position).
        a.lea(.rcx, .rip(payloadEnd))
        a.sub(.rcx, .r14)
        a.lea(.r8, .rip(workspace))
        a.lea(.r9, .rip(parameters))
        a.lea(.rax, .rip(stub.address + Imm(stubCode.bootEntry)))
        a.bind(stubCall)
        a.call(.rax)
        a.test(.rax, .rax)
        a.jcc(.l, failed)
        a.add(.rax, .r14)
        a.mov(.rsi, .r15)
        a.xor(.ebp, .ebp)
        a.xor(.ebx, .ebx)
        a.jmp(.rax)
    }
}
