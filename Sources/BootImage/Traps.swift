import StubAsm

extension ImageAssembly {
    /// The IDT: one 64-bit interrupt gate per exception vector, each to its 16-byte trap entry.
    mutating func installIDT() {
        let loop = a.label()
        a.lea(.rdi, .rip(idt))
        a.lea(.rdx, .rip(traps.entries))
        a.mov(.ecx, Imm(ProtectedModeImage.trapVectors))
        a.bind(loop)
        a.mov(.rax, .rdx)
        a.mov(.mem(.rdi), .ax)  // offset 15:0
        a.mov(.word, .mem(.rdi, 2), X86.Selector.code)
        a.mov(.word, .mem(.rdi, 4), X86.interruptGate)
        a.shr(.rax, 16)
        a.mov(.mem(.rdi, 6), .ax)  // offset 31:16
        a.shr(.rax, 16)
        a.mov(.mem(.rdi, 8), .eax)  // offset 63:32
        a.mov(.dword, .mem(.rdi, 12), 0)
        a.add(.rdx, Imm(ProtectedModeImage.trapEntrySize))
        a.add(.rdi, Imm(X86.idtEntrySize))
        a.dec(.ecx)
        a.jcc(.nz, loop)
        a.lea(.rax, .rip(idt))
        a.mov(.rip(idtDescriptor.address + 2), .rax)
        a.lidt(.rip(idtDescriptor))
    }

    /// The trap entries, 16 bytes each, pushing a zero where the CPU pushes no error code, then the vector; the
    /// common handler prints vector, error code and RIP, then halts (`halt`, also where failures end).
    mutating func trapHandlers() {
        a.align(16)
        a.bind(traps.entries)
        for vector in 0..<ProtectedModeImage.trapVectors {
            let start = a.offset
            if !X86.exceptionsWithErrorCode.contains(vector) { a.push(0) }
            a.push(Imm(vector))
            a.jmp(traps.common)
            a.align(ProtectedModeImage.trapEntrySize, fill: 0xCC)
            precondition(a.offset - start == ProtectedModeImage.trapEntrySize, "a trap entry outgrew its slot")
        }
        // [rsp] = vector, [rsp+8] = error code, [rsp+16] = RIP: fill them into the message and report it.
        a.bind(traps.common)
        a.pop(.rax)
        a.lea(.rdi, .rip(traps.vectorDigits))
        a.mov(.ecx, 2)
        a.call(hexDigits)
        a.pop(.rax)
        a.lea(.rdi, .rip(traps.errorDigits))
        a.mov(.ecx, 8)
        a.call(hexDigits)
        a.mov(.rax, .mem(.rsp))
        a.lea(.rdi, .rip(traps.ripDigits))
        a.mov(.ecx, 16)
        a.call(hexDigits)
        a.lea(.rsi, .rip(traps.message))
        a.call(report)
        a.bind(haltForever)
        a.cli()
        a.hlt()
        a.jmp(haltForever, .short)
    }

    /// The message the trap handler fills in: "?" marks the digits.
    mutating func trapMessage() {
        a.bind(traps.message)
        a.ascii("mkbzimage: CPU exception 0x")
        a.bind(traps.vectorDigits)
        a.ascii("?? (error code 0x")
        a.bind(traps.errorDigits)
        a.ascii("????????) at RIP 0x")
        a.bind(traps.ripDigits)
        a.asciz("????????????????; halting\r\n")
    }
}
