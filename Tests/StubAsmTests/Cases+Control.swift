import StubAsm

extension CaseList {
    mutating func control() {
        modes = [.bits16, .bits32]
        t("jmp eax") { $0.jmp(Reg32.eax) }
        t("jmp ax") { $0.jmp(Reg16.ax) }
        t("call ecx") { $0.call(Reg32.ecx) }
        t("call di") { $0.call(Reg16.di) }
        modes = [.bits16]
        t("jmp word ptr [bx]") { $0.jmp(.mem(.bx)) }
        t("call word ptr [bx + 2]") { $0.call(.mem(.bx, 2)) }
        modes = [.bits32]
        t("jmp dword ptr [ebx]") { $0.jmp(.mem(.ebx)) }
        t("call dword ptr [4*eax + 0x1000]") { $0.call(.mem(index: .eax, scale: 4, 0x1000)) }
        modes = [.bits64]
        t("jmp rax") { $0.jmp(Reg64.rax) }
        t("jmp r11") { $0.jmp(Reg64.r11) }
        t("call rbx") { $0.call(Reg64.rbx) }
        t("call r15") { $0.call(Reg64.r15) }
        t("jmp qword ptr [rax]") { $0.jmp(.mem(.rax)) }
        t("call qword ptr [r8 + 8]") { $0.call(.mem(.r8, 8)) }
        t("jmp qword ptr [rip + 0x100]") { a in a.jmp(.rip(a.here().address + 6 + 0x100)) }

        modes = CodeMode.allCases
        for mode in CodeMode.allCases {
            let suffix = Self.suffix(mode)
            t(".att_syntax\nret\(suffix)", modes: [mode]) { $0.ret() }
            t(".att_syntax\nret\(suffix) $8", modes: [mode]) { $0.ret(8) }
        }
        t("int 0x10") { $0.int(0x10) }
        t("int 3") { $0.int(3) }
        t("int3") { $0.int3() }
        t("int 0xff") { $0.int(0xFF) }
        t(".att_syntax\nlretw") { $0.retf(.word) }
        t(".att_syntax\nlretl") { $0.retf(.dword) }
        t("iretd") { $0.iret(.dword) }
        t(".att_syntax\niretw") { $0.iret(.word) }
        t(".att_syntax\nlretw", modes: [.bits16]) { $0.retf() }
        t(".att_syntax\nlretl", modes: [.bits32]) { $0.retf() }
        t(".att_syntax\nlretq", modes: [.bits64]) { $0.retf() }
        t(".att_syntax\nlretq", modes: [.bits64]) { $0.retf(.qword) }
        t(".att_syntax\niretw", modes: [.bits16]) { $0.iret() }
        t("iretd", modes: [.bits32]) { $0.iret() }
        t("iretq", modes: [.bits64]) { $0.iret() }
        t("iretq", modes: [.bits64]) { $0.iret(.qword) }

        for (name, condition) in conditions {
            t("set\(name) al") { $0.setcc(condition, .al) }
        }
        t("sete bh") { $0.setcc(.e, .bh) }
        t("seta byte ptr [ebx]") { $0.setcc(.a, .mem(.ebx)) }
        t("setl r9b", modes: [.bits64]) { $0.setcc(.l, .r9b) }
        t("setg dil", modes: [.bits64]) { $0.setcc(.g, .dil) }
        for (name, condition) in conditions {
            t("cmov\(name) eax, ebx") { $0.cmovcc(condition, .eax, .ebx) }
        }
        t("cmovne ax, bx") { $0.cmovcc(.ne, .ax, .bx) }
        t("cmovg eax, dword ptr [ebx]") { $0.cmovcc(.g, .eax, .mem(.ebx)) }
        t("cmovb r8, qword ptr [rax]", modes: [.bits64]) { $0.cmovcc(.b, .r8, .mem(.rax)) }
    }

    mutating func system() {
        modes = CodeMode.allCases
        t("cli") { $0.cli() }
        t("sti") { $0.sti() }
        t("cld") { $0.cld() }
        t("std") { $0.std() }
        t("clc") { $0.clc() }
        t("stc") { $0.stc() }
        t("cmc") { $0.cmc() }
        t("hlt") { $0.hlt() }
        t("nop") { $0.nop() }
        t("pause") { $0.pause() }
        t("cpuid") { $0.cpuid() }
        t("rdmsr") { $0.rdmsr() }
        t("wrmsr") { $0.wrmsr() }
        t("rdtsc") { $0.rdtsc() }
        t("rdrand eax") { $0.rdrand(.eax) }
        t("rdrand cx") { $0.rdrand(.cx) }
        t("rdrand rax", modes: [.bits64]) { $0.rdrand(.rax) }
        t("rdrand r9", modes: [.bits64]) { $0.rdrand(.r9) }
        t("wbinvd") { $0.wbinvd() }
        t("ud2") { $0.ud2() }
        t("leave") { $0.leave() }

        t("lgdt [ebx]") { $0.lgdt(.mem(.ebx)) }
        t("lidt [ebx + 6]") { $0.lidt(.mem(.ebx, 6)) }
        t("sgdt [ebx]") { $0.sgdt(.mem(.ebx)) }
        t("sidt [ebx]") { $0.sidt(.mem(.ebx)) }
        t("invlpg [eax]") { $0.invlpg(.mem(.eax)) }
        t("lgdt [0x1000]") { $0.lgdt(.mem(0x1000)) }
        t(".att_syntax\nlgdtw (%ebx)", modes: [.bits16, .bits32]) { $0.lgdt(.word, .mem(.ebx)) }
        t(".att_syntax\nlgdtl (%ebx)", modes: [.bits16, .bits32]) { $0.lgdt(.dword, .mem(.ebx)) }
        t(".att_syntax\nlidtl (%ebx)", modes: [.bits16, .bits32]) { $0.lidt(.dword, .mem(.ebx)) }
        t(".att_syntax\nlgdtl (%si)", modes: [.bits16]) { $0.lgdt(.dword, .mem(.si)) }
        t("lgdt [rax]", modes: [.bits64]) { $0.lgdt(.mem(.rax)) }
        t("lidt [r9]", modes: [.bits64]) { $0.lidt(.mem(.r9)) }
        t("ltr ax") { $0.ltr(.ax) }
        t("ltr word ptr [ebx]") { $0.ltr(.mem(.ebx)) }
        t("lldt cx") { $0.lldt(.cx) }
        t("lldt word ptr [ebx]") { $0.lldt(.mem(.ebx)) }
        t("ltr r8w", modes: [.bits64]) { $0.ltr(.r8w) }

        t("in al, 0x60") { $0.in(.al, 0x60) }
        t("in ax, 0x60") { $0.in(.ax, 0x60) }
        t("in eax, 0xff") { $0.in(.eax, 0xFF) }
        t("in al, dx") { $0.in(.al, .dx) }
        t("in ax, dx") { $0.in(.ax, .dx) }
        t("in eax, dx") { $0.in(.eax, .dx) }
        t("out 0x80, al") { $0.out(0x80, .al) }
        t("out 0x80, ax") { $0.out(0x80, .ax) }
        t("out 0x80, eax") { $0.out(0x80, .eax) }
        t("out dx, al") { $0.out(.dx, .al) }
        t("out dx, ax") { $0.out(.dx, .ax) }
        t("out dx, eax") { $0.out(.dx, .eax) }

        t("movsb") { $0.movs(.byte) }
        t("movsw") { $0.movs(.word) }
        t("movsd") { $0.movs(.dword) }
        t("stosb") { $0.stos(.byte) }
        t("stosw") { $0.stos(.word) }
        t("stosd") { $0.stos(.dword) }
        t("lodsb") { $0.lods(.byte) }
        t("lodsw") { $0.lods(.word) }
        t("lodsd") { $0.lods(.dword) }
        t("cmpsb") { $0.cmps(.byte) }
        t("cmpsd") { $0.cmps(.dword) }
        t("scasb") { $0.scas(.byte) }
        t("scasw") { $0.scas(.word) }
        t("insb") { $0.ins(.byte) }
        t("insw") { $0.ins(.word) }
        t("insd") { $0.ins(.dword) }
        t("outsb") { $0.outs(.byte) }
        t("outsw") { $0.outs(.word) }
        t("outsd") { $0.outs(.dword) }
        t("rep movsb") { $0.movs(.byte, .rep) }
        t("rep movsw") { $0.movs(.word, .rep) }
        t("rep movsd") { $0.movs(.dword, .rep) }
        t("rep stosb") { $0.stos(.byte, .rep) }
        t("rep stosd") { $0.stos(.dword, .rep) }
        t("rep insw") { $0.ins(.word, .rep) }
        t("rep outsb") { $0.outs(.byte, .rep) }
        t("repe cmpsb") { $0.cmps(.byte, .repe) }
        t("repne scasb") { $0.scas(.byte, .repne) }
        t("repne scasd") { $0.scas(.dword, .repnz) }
        modes = [.bits64]
        t("movsq") { $0.movs(.qword) }
        t("stosq") { $0.stos(.qword) }
        t("lodsq") { $0.lods(.qword) }
        t("cmpsq") { $0.cmps(.qword) }
        t("scasq") { $0.scas(.qword) }
        t("rep movsq") { $0.movs(.qword, .rep) }
        t("rep stosq") { $0.stos(.qword, .rep) }
    }

    /// 64-bit operands, REX and the registers only it reaches.
    mutating func longMode() {
        modes = [.bits64]
        for register in Reg64.allCases {
            t("mov \(register), rax") { $0.mov(register, .rax) }
            t("mov rax, \(register)") { $0.mov(.rax, register) }
            t("mov \(register), qword ptr [\(register) + 8]") { $0.mov(register, .mem(register, 8)) }
            t("push \(register)") { $0.push(register) }
            t("mov \(register), 0x12345678") { $0.mov(register, 0x1234_5678) }
            t("movabs \(register), 0x123456789abcdef0") { $0.mov(register, 0x1234_5678_9ABC_DEF0) }
        }
        for register in Reg32.allCases {
            t("mov \(register), ecx") { $0.mov(register, .ecx) }
            t("mov \(register), 0x89abcdef") { $0.mov(register, 0x89AB_CDEF) }
            t("inc \(register)") { $0.inc(register) }
        }
        for register in Reg16.allCases {
            t("mov \(register), dx") { $0.mov(register, .dx) }
            t("mov \(register), 0x1234") { $0.mov(register, 0x1234) }
        }
        for register in Reg8.allCases where !register.isHighByte {
            t("mov \(register), al") { $0.mov(register, .al) }
            t("mov bl, \(register)") { $0.mov(.bl, register) }
            t("mov \(register), 0x7f") { $0.mov(register, 0x7F) }
        }
        t("mov ah, bh") { $0.mov(.ah, .bh) }
        t("mov rax, 5") { $0.mov(.rax, 5) }
        t("mov rax, -1") { $0.mov(.rax, -1) }
        t("mov rax, 0x7fffffff") { $0.mov(.rax, 0x7FFF_FFFF) }
        t("mov rax, 0x80000000") { $0.mov(.rax, 0x8000_0000) }
        t("mov rax, 0xffffffff") { $0.mov(.rax, 0xFFFF_FFFF) }
        t("mov rax, -0x80000000") { $0.mov(.rax, -0x8000_0000) }
        t("mov rax, -0x80000001") { $0.mov(.rax, -0x8000_0001) }
        t("mov rax, 0xffffffff80000000") { $0.mov(.rax, Imm(0xFFFF_FFFF_8000_0000 as UInt64)) }
        t("movabs rax, 5") { $0.movabs(.rax, 5) }
        t("movabs r9, -1") { $0.movabs(.r9, -1) }
        t("mov qword ptr [rax], -5") { $0.mov(.qword, .mem(.rax), -5) }
        t("mov qword ptr [r9], 0x12345678") { $0.mov(.qword, .mem(.r9), 0x1234_5678) }
        t("mov byte ptr [r12], 1") { $0.mov(.byte, .mem(.r12), 1) }
        t("mov qword ptr [rax], rbx") { $0.mov(.mem(.rax), .rbx) }
        t("mov r8, qword ptr [rax]") { $0.mov(.r8, .mem(.rax)) }
        t("mov rax, qword ptr [0x1000]") { $0.mov(.rax, .mem(0x1000)) }
        t("mov qword ptr [0x1000], rax") { $0.mov(.mem(0x1000), .rax) }

        t("mov cr0, rax") { $0.mov(.cr0, .rax) }
        t("mov rax, cr0") { $0.mov(.rax, .cr0) }
        t("mov cr3, rdi") { $0.mov(.cr3, .rdi) }
        t("mov cr4, r8") { $0.mov(.cr4, .r8) }
        t("mov r12, cr2") { $0.mov(.r12, .cr2) }
        t("mov cr8, rax") { $0.mov(.cr8, .rax) }
        t("mov rax, cr8") { $0.mov(.rax, .cr8) }
        t("mov r9, cr8") { $0.mov(.r9, .cr8) }
        t("mov ds, rax") { $0.mov(.ds, .rax) }
        t("mov rax, ds") { $0.mov(.rax, .ds) }
        t(".att_syntax\nmovw %r8w, %ss") { $0.mov(.ss, .r8w) }
        t("mov r9d, fs") { $0.mov(.r9d, .fs) }
        t("mov fs, word ptr [r10]") { $0.mov(.fs, .mem(.r10)) }

        t("movzx rax, al") { $0.movzx(.rax, .al) }
        t("movzx r8, byte ptr [rax]") { $0.movzx(.r8, .byte, .mem(.rax)) }
        t("movzx rax, word ptr [rax]") { $0.movzx(.rax, .word, .mem(.rax)) }
        t("movzx eax, r8b") { $0.movzx(.eax, .r8b) }
        t("movzx r10d, sil") { $0.movzx(.r10d, .sil) }
        t("movzx rcx, r9w") { $0.movzx(.rcx, .r9w) }
        t("movsx rax, cx") { $0.movsx(.rax, .cx) }
        t("movsx r11, bpl") { $0.movsx(.r11, .bpl) }
        t("lea rax, [rbx + 8*rcx + 0x10]") { $0.lea(.rax, .mem(.rbx, .rcx, scale: 8, 0x10)) }
        t("lea r8, [r9 + 1]") { $0.lea(.r8, .mem(.r9, 1)) }
        t("lea eax, [rdi + 4]") { $0.lea(.eax, .mem(.rdi, 4)) }
        t("lea rsp, [rsp - 0x80]") { $0.lea(.rsp, .mem(.rsp, -0x80)) }

        t("xchg rax, rbx") { $0.xchg(.rax, .rbx) }
        t("xchg r8, rax") { $0.xchg(.r8, .rax) }
        t("xchg rax, r8") { $0.xchg(.rax, .r8) }
        t("xchg r8, r9") { $0.xchg(.r8, .r9) }
        t("xchg r8d, eax") { $0.xchg(.r8d, .eax) }
        t("xchg rax, rax") { $0.xchg(.rax, .rax) }
        t("xchg qword ptr [r8], rcx") { $0.xchg(.mem(.r8), .rcx) }
        t("xchg sil, al") { $0.xchg(.sil, .al) }
        t("test rax, rbx") { $0.test(.rax, .rbx) }
        t("test rax, 5") { $0.test(.rax, 5) }
        t("test r8, 5") { $0.test(.r8, 5) }
        t("test r9b, 1") { $0.test(.r9b, 1) }
        t("test qword ptr [rax], 0x100") { $0.test(.qword, .mem(.rax), 0x100) }
        t("test qword ptr [rax], r10") { $0.test(.mem(.rax), .r10) }
        t("in al, dx") { $0.in(.al, .dx) }
        t(".att_syntax\nlretl") { $0.retf(.dword) }
    }
}
