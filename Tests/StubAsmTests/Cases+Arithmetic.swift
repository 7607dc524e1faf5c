import StubAsm

extension CaseList {
    mutating func stack() {
        modes = CodeMode.allCases
        t("push ax") { $0.push(Reg16.ax) }
        t("push di") { $0.push(Reg16.di) }
        t("pop cx") { $0.pop(Reg16.cx) }
        t("push 5") { $0.push(5) }
        t("push -1") { $0.push(-1) }
        t("push 0x1000") { $0.push(0x1000) }
        // LLVM's Intel syntax pushes segment registers with 16 bits in 32- and 64-bit mode; AT&T says the width.
        for mode in CodeMode.allCases {
            let suffix = Self.suffix(mode)
            t(".att_syntax\npush\(suffix) %fs", modes: [mode]) { $0.push(.fs) }
            t(".att_syntax\npush\(suffix) %gs", modes: [mode]) { $0.push(.gs) }
            t(".att_syntax\npop\(suffix) %fs", modes: [mode]) { $0.pop(.fs) }
            t(".att_syntax\npop\(suffix) %gs", modes: [mode]) { $0.pop(.gs) }
            guard mode != .bits64 else { continue }
            for segment in [SegmentReg.es, .cs, .ss, .ds] {
                t(".att_syntax\npush\(suffix) %\(segment)", modes: [mode]) { $0.push(segment) }
                if segment != .cs { t(".att_syntax\npop\(suffix) %\(segment)", modes: [mode]) { $0.pop(segment) } }
            }
        }
        t(".att_syntax\npushw $0x1234") { $0.push(.word, 0x1234) }
        t(".att_syntax\npushw $1") { $0.push(.word, 1) }
        t(".att_syntax\npushw (%eax)") { $0.push(.word, .mem(.eax)) }
        t(".att_syntax\npopw (%eax)") { $0.pop(.word, .mem(.eax)) }

        modes = [.bits16, .bits32]
        t("push eax") { $0.push(Reg32.eax) }
        t("push esi") { $0.push(Reg32.esi) }
        t("pop edx") { $0.pop(Reg32.edx) }
        t(".att_syntax\npushl $0") { $0.push(.dword, 0) }
        t(".att_syntax\npushl $0x12345678") { $0.push(.dword, 0x1234_5678) }
        t(".att_syntax\npushl (%ebx)") { $0.push(.dword, .mem(.ebx)) }
        t(".att_syntax\npopl 4(%ebx)") { $0.pop(.dword, .mem(.ebx, 4)) }
        t(".att_syntax\npushfw") { $0.pushf(.word) }
        t(".att_syntax\npopfw") { $0.popf(.word) }
        t(".att_syntax\npushfl") { $0.pushf(.dword) }
        t(".att_syntax\npopfl") { $0.popf(.dword) }
        t(".att_syntax\npushaw") { $0.pusha(.word) }
        t(".att_syntax\npopaw") { $0.popa(.word) }
        t(".att_syntax\npushal") { $0.pusha(.dword) }
        t(".att_syntax\npopal") { $0.popa(.dword) }

        // The mode's own stack width when none is given.
        modes = [.bits16]
        t("push word ptr [bx]") { $0.push(.mem(.bx)) }
        t("pop word ptr [bx + si]") { $0.pop(.mem(.bx, .si)) }
        t(".att_syntax\npushfw") { $0.pushf() }
        t(".att_syntax\npopfw") { $0.popf() }
        t(".att_syntax\npushaw") { $0.pusha() }
        t(".att_syntax\npopaw") { $0.popa() }
        t("push 0x1234") { $0.push(0x1234) }
        t("push 0xffff") { $0.push(0xFFFF) }
        modes = [.bits32]
        t("push dword ptr [ebx]") { $0.push(.mem(.ebx)) }
        t("pop dword ptr [ebx]") { $0.pop(.mem(.ebx)) }
        t(".att_syntax\npushfl") { $0.pushf() }
        t(".att_syntax\npopfl") { $0.popf() }
        t(".att_syntax\npushal") { $0.pusha() }
        t(".att_syntax\npopal") { $0.popa() }
        t("push 0x12345678") { $0.push(0x1234_5678) }
        t("push 0xffffffff") { $0.push(0xFFFF_FFFF) }
        modes = [.bits64]
        t("push rax") { $0.push(Reg64.rax) }
        t("push r12") { $0.push(Reg64.r12) }
        t("pop rbx") { $0.pop(Reg64.rbx) }
        t("pop r15") { $0.pop(Reg64.r15) }
        t("push qword ptr [rax]") { $0.push(.mem(.rax)) }
        t("push qword ptr [r8 + 8]") { $0.push(.qword, .mem(.r8, 8)) }
        t("pop qword ptr [rsp + 16]") { $0.pop(.mem(.rsp, 16)) }
        t("pushfq") { $0.pushf() }
        t("popfq") { $0.popf() }
        t(".att_syntax\npushfw") { $0.pushf(.word) }
        t("push 0x12345678") { $0.push(0x1234_5678) }
        t("push -0x80000000") { $0.push(-0x8000_0000) }
    }

    mutating func arithmetic() {
        modes = CodeMode.allCases
        for op in ALU.allCases {
            let n = op.rawValue
            t("\(n) eax, ebx") { $0.alu(op, Reg32.eax, .ebx) }
            t("\(n) al, bl") { $0.alu(op, Reg8.al, .bl) }
            t("\(n) ah, dh") { $0.alu(op, Reg8.ah, .dh) }
            t("\(n) ax, bx") { $0.alu(op, Reg16.ax, .bx) }
            t("\(n) eax, 5") { $0.alu(op, Reg32.eax, 5) }
            t("\(n) eax, 1000") { $0.alu(op, Reg32.eax, 1000) }
            t("\(n) eax, 0xffffffff") { $0.alu(op, Reg32.eax, 0xFFFF_FFFF) }
            t("\(n) ebx, 1000") { $0.alu(op, Reg32.ebx, 1000) }
            t("\(n) ebx, -5") { $0.alu(op, Reg32.ebx, -5) }
            t("\(n) ebx, 0x80") { $0.alu(op, Reg32.ebx, 0x80) }
            t("\(n) ebx, -0x80") { $0.alu(op, Reg32.ebx, -0x80) }
            t("\(n) al, 5") { $0.alu(op, Reg8.al, 5) }
            t("\(n) al, 0xff") { $0.alu(op, Reg8.al, 0xFF) }
            t("\(n) bl, 5") { $0.alu(op, Reg8.bl, 5) }
            t("\(n) ch, 0x80") { $0.alu(op, Reg8.ch, 0x80) }
            t("\(n) ax, 1000") { $0.alu(op, Reg16.ax, 1000) }
            t("\(n) ax, 5") { $0.alu(op, Reg16.ax, 5) }
            t("\(n) cx, 1000") { $0.alu(op, Reg16.cx, 1000) }
            t("\(n) cx, 0xffff") { $0.alu(op, Reg16.cx, 0xFFFF) }
            t("\(n) eax, dword ptr [ebx]") { $0.alu(op, Reg32.eax, .mem(.ebx)) }
            t("\(n) dword ptr [ebx + 4], eax") { $0.alu(op, .mem(.ebx, 4), Reg32.eax) }
            t("\(n) cl, byte ptr [ebx]") { $0.alu(op, Reg8.cl, .mem(.ebx)) }
            t("\(n) byte ptr [ebx], cl") { $0.alu(op, .mem(.ebx), Reg8.cl) }
            t("\(n) dx, word ptr [ebx]") { $0.alu(op, Reg16.dx, .mem(.ebx)) }
            t("\(n) byte ptr [ebx], 5") { $0.alu(op, .byte, .mem(.ebx), 5) }
            t("\(n) word ptr [ebx], 5") { $0.alu(op, .word, .mem(.ebx), 5) }
            t("\(n) word ptr [ebx], 1000") { $0.alu(op, .word, .mem(.ebx), 1000) }
            t("\(n) dword ptr [ebx], 5") { $0.alu(op, .dword, .mem(.ebx), 5) }
            t("\(n) dword ptr [ebx + 8*esi], 0x12345678") {
                $0.alu(op, .dword, .mem(.ebx, .esi, scale: 8), 0x1234_5678)
            }
        }
        modes = [.bits64]
        for op in ALU.allCases {
            let n = op.rawValue
            t("\(n) rax, rbx") { $0.alu(op, Reg64.rax, .rbx) }
            t("\(n) r8, r9") { $0.alu(op, Reg64.r8, .r9) }
            t("\(n) rax, 5") { $0.alu(op, Reg64.rax, 5) }
            t("\(n) rax, 1000") { $0.alu(op, Reg64.rax, 1000) }
            t("\(n) rax, -1") { $0.alu(op, Reg64.rax, -1) }
            t("\(n) r8, 1000") { $0.alu(op, Reg64.r8, 1000) }
            t("\(n) r15, -0x80000000") { $0.alu(op, Reg64.r15, -0x8000_0000) }
            t("\(n) rax, qword ptr [r8]") { $0.alu(op, Reg64.rax, .mem(.r8)) }
            t("\(n) qword ptr [r8], rax") { $0.alu(op, .mem(.r8), Reg64.rax) }
            t("\(n) qword ptr [rax], 5") { $0.alu(op, .qword, .mem(.rax), 5) }
            t("\(n) qword ptr [rax], 0x1000") { $0.alu(op, .qword, .mem(.rax), 0x1000) }
            t("\(n) r15b, 5") { $0.alu(op, Reg8.r15b, 5) }
            t("\(n) sil, dil") { $0.alu(op, Reg8.sil, .dil) }
            t("\(n) r11d, r11d") { $0.alu(op, Reg32.r11d, .r11d) }
            t("\(n) spl, 0x0f") { $0.alu(op, Reg8.spl, 0x0F) }
            t("\(n) r9w, 0x1234") { $0.alu(op, Reg16.r9w, 0x1234) }
        }

        modes = CodeMode.allCases
        t("test eax, ebx") { $0.test(.eax, .ebx) }
        t("test al, bl") { $0.test(.al, .bl) }
        t("test ax, bx") { $0.test(.ax, .bx) }
        t("test ch, ch") { $0.test(.ch, .ch) }
        t("test eax, 5") { $0.test(.eax, 5) }
        t("test al, 5") { $0.test(.al, 5) }
        t("test ax, 0x1234") { $0.test(.ax, 0x1234) }
        t("test ebx, 5") { $0.test(.ebx, 5) }
        t("test bl, 0x80") { $0.test(.bl, 0x80) }
        t("test cx, 5") { $0.test(.cx, 5) }
        t("test dword ptr [ebx], eax") { $0.test(.mem(.ebx), .eax) }
        t("test eax, dword ptr [ebx]") { $0.test(.eax, .mem(.ebx)) }
        t("test byte ptr [ebx], dl") { $0.test(.mem(.ebx), .dl) }
        t("test byte ptr [ebx], 5") { $0.test(.byte, .mem(.ebx), 5) }
        t("test word ptr [ebx], 5") { $0.test(.word, .mem(.ebx), 5) }
        t("test dword ptr [ebx], 5") { $0.test(.dword, .mem(.ebx), 5) }

        for op in Unary.allCases {
            let n = op.rawValue
            t("\(n) eax") { $0.unary(op, Reg32.eax) }
            t("\(n) ecx") { $0.unary(op, Reg32.ecx) }
            t("\(n) al") { $0.unary(op, Reg8.al) }
            t("\(n) bh") { $0.unary(op, Reg8.bh) }
            t("\(n) cx") { $0.unary(op, Reg16.cx) }
            t("\(n) dword ptr [ebx]") { $0.unary(op, .dword, .mem(.ebx)) }
            t("\(n) word ptr [ebx]") { $0.unary(op, .word, .mem(.ebx)) }
            t("\(n) byte ptr [esi + 1]") { $0.unary(op, .byte, .mem(.esi, 1)) }
        }
        modes = [.bits64]
        for op in Unary.allCases {
            let n = op.rawValue
            t("\(n) rax") { $0.unary(op, Reg64.rax) }
            t("\(n) r9") { $0.unary(op, Reg64.r9) }
            t("\(n) r10d") { $0.unary(op, Reg32.r10d) }
            t("\(n) sil") { $0.unary(op, Reg8.sil) }
            t("\(n) qword ptr [rax]") { $0.unary(op, .qword, .mem(.rax)) }
        }

        modes = CodeMode.allCases
        t("imul eax, ebx") { $0.imul(.eax, .ebx) }
        t("imul ax, cx") { $0.imul(.ax, .cx) }
        t("imul eax, dword ptr [ebx]") { $0.imul(.eax, .mem(.ebx)) }
        t("imul rax, r8", modes: [.bits64]) { $0.imul(.rax, .r8) }
    }

    mutating func shiftsAndBits() {
        modes = CodeMode.allCases
        for op in Shift.allCases {
            let n = op.rawValue
            t("\(n) eax, 1") { $0.shift(op, Reg32.eax, 1) }
            t("\(n) eax, 4") { $0.shift(op, Reg32.eax, 4) }
            t("\(n) al, 1") { $0.shift(op, Reg8.al, 1) }
            t("\(n) bl, 3") { $0.shift(op, Reg8.bl, 3) }
            t("\(n) cx, 2") { $0.shift(op, Reg16.cx, 2) }
            t("\(n) eax, cl") { $0.shift(op, Reg32.eax, Reg8.cl) }
            t("\(n) al, cl") { $0.shift(op, Reg8.al, Reg8.cl) }
            t("\(n) ax, cl") { $0.shift(op, Reg16.ax, Reg8.cl) }
            t("\(n) dword ptr [ebx], 1") { $0.shift(op, .dword, .mem(.ebx), 1) }
            t("\(n) dword ptr [ebx], 5") { $0.shift(op, .dword, .mem(.ebx), 5) }
            t("\(n) word ptr [ebx], 2") { $0.shift(op, .word, .mem(.ebx), 2) }
            t("\(n) byte ptr [ebx], cl") { $0.shift(op, .byte, .mem(.ebx), Reg8.cl) }
            t("\(n) dword ptr [ebx], cl") { $0.shift(op, .dword, .mem(.ebx), Reg8.cl) }
        }
        modes = [.bits64]
        for op in Shift.allCases {
            let n = op.rawValue
            t("\(n) rax, 1") { $0.shift(op, Reg64.rax, 1) }
            t("\(n) r8, 12") { $0.shift(op, Reg64.r8, 12) }
            t("\(n) r15, cl") { $0.shift(op, Reg64.r15, Reg8.cl) }
            t("\(n) qword ptr [rax], 3") { $0.shift(op, .qword, .mem(.rax), 3) }
        }

        modes = CodeMode.allCases
        for op in BitTest.allCases {
            let n = op.rawValue
            t("\(n) eax, ebx") { $0.bitTest(op, Reg32.eax, .ebx) }
            t("\(n) ax, bx") { $0.bitTest(op, Reg16.ax, .bx) }
            t("\(n) eax, 5") { $0.bitTest(op, Reg32.eax, 5) }
            t("\(n) cx, 15") { $0.bitTest(op, Reg16.cx, 15) }
            t("\(n) dword ptr [ebx], eax") { $0.bitTest(op, .mem(.ebx), Reg32.eax) }
            t("\(n) dword ptr [ebx], 3") { $0.bitTest(op, .dword, .mem(.ebx), 3) }
            t("\(n) word ptr [ebx], 3") { $0.bitTest(op, .word, .mem(.ebx), 3) }
        }
        modes = [.bits64]
        for op in BitTest.allCases {
            let n = op.rawValue
            t("\(n) rax, 63") { $0.bitTest(op, Reg64.rax, 63) }
            t("\(n) r8, rcx") { $0.bitTest(op, Reg64.r8, .rcx) }
            t("\(n) qword ptr [r9], 40") { $0.bitTest(op, .qword, .mem(.r9), 40) }
        }
    }
}
