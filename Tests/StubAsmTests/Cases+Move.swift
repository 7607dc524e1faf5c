import StubAsm

// Forms valid in every mode are listed once and checked in each: the operand- and address-size prefixes are
// what differs. Mode-only forms set `modes`.

extension CaseList {
    mutating func moves() {
        modes = CodeMode.allCases
        t("mov al, bl") { $0.mov(.al, .bl) }
        t("mov ah, bh") { $0.mov(.ah, .bh) }
        t("mov al, ah") { $0.mov(.al, .ah) }
        t("mov ax, bx") { $0.mov(.ax, .bx) }
        t("mov eax, ebx") { $0.mov(.eax, .ebx) }
        t("mov esp, ebp") { $0.mov(.esp, .ebp) }
        t("mov di, si") { $0.mov(.di, .si) }
        t("mov al, 0x12") { $0.mov(.al, 0x12) }
        t("mov bh, 0xff") { $0.mov(.bh, 0xFF) }
        t("mov cl, -1") { $0.mov(.cl, -1) }
        t("mov ax, 0x1234") { $0.mov(.ax, 0x1234) }
        t("mov si, 0xffff") { $0.mov(.si, 0xFFFF) }
        t("mov eax, 0x12345678") { $0.mov(.eax, 0x1234_5678) }
        t("mov edi, 0xffffffff") { $0.mov(.edi, 0xFFFF_FFFF) }
        t("mov ecx, -2") { $0.mov(.ecx, -2) }
        t("mov edx, 0") { $0.mov(.edx, 0) }

        t("mov eax, dword ptr [ebx + 8]") { $0.mov(.eax, .mem(.ebx, 8)) }
        t("mov dword ptr [ebx + 8], eax") { $0.mov(.mem(.ebx, 8), .eax) }
        t("mov al, byte ptr [ecx]") { $0.mov(.al, .mem(.ecx)) }
        t("mov byte ptr [ecx], dh") { $0.mov(.mem(.ecx), .dh) }
        t("mov ax, word ptr [esi + 2*edi]") { $0.mov(.ax, .mem(.esi, .edi, scale: 2)) }
        t("mov word ptr [esi], sp") { $0.mov(.mem(.esi), .sp) }
        // The accumulator with an absolute address: moffs outside 64-bit mode.
        t("mov eax, dword ptr [0x1000]") { $0.mov(.eax, .mem(0x1000)) }
        t("mov ax, word ptr [0x1000]") { $0.mov(.ax, .mem(0x1000)) }
        t("mov al, byte ptr [0x1000]") { $0.mov(.al, .mem(0x1000)) }
        t("mov dword ptr [0x1000], eax") { $0.mov(.mem(0x1000), .eax) }
        t("mov word ptr [0x1000], ax") { $0.mov(.mem(0x1000), .ax) }
        t("mov byte ptr [0x1000], al") { $0.mov(.mem(0x1000), .al) }
        t("mov ax, word ptr fs:[0x1000]") { $0.mov(.ax, .mem(0x1000).segment(.fs)) }
        t("mov ecx, dword ptr [0x1000]") { $0.mov(.ecx, .mem(0x1000)) }
        t("mov word ptr [0x1000], dx") { $0.mov(.mem(0x1000), .dx) }
        t("mov dword ptr [ebx], 0x12345678") { $0.mov(.dword, .mem(.ebx), 0x1234_5678) }
        t("mov word ptr [ebx + 2], 0x1234") { $0.mov(.word, .mem(.ebx, 2), 0x1234) }
        t("mov byte ptr [ebx], 0x12") { $0.mov(.byte, .mem(.ebx), 0x12) }
        t("mov dword ptr [eax + 4*ecx + 0x100], -1") { $0.mov(.dword, .mem(.eax, .ecx, scale: 4, 0x100), -1) }

        // LLVM's Intel syntax gives `mov ds, ax` a 0x66 in 32-bit mode and drops the one `mov ax, ds` needs;
        // its AT&T syntax, like GNU as, does neither.
        t(".att_syntax\nmovw %ax, %ds") { $0.mov(.ds, .ax) }
        t(".att_syntax\nmovw %ax, %es") { $0.mov(.es, .ax) }
        t(".att_syntax\nmovw %dx, %ss") { $0.mov(.ss, .dx) }
        t(".att_syntax\nmovw %cx, %fs") { $0.mov(.fs, .cx) }
        t(".att_syntax\nmovw %bx, %gs") { $0.mov(.gs, .bx) }
        t(".att_syntax\nmovl %eax, %ds") { $0.mov(.ds, .eax) }
        t(".att_syntax\nmovw %ds, %ax") { $0.mov(.ax, .ds) }
        t(".att_syntax\nmovw %cs, %si") { $0.mov(.si, .cs) }
        t(".att_syntax\nmovl %es, %eax") { $0.mov(.eax, .es) }
        t(".att_syntax\nmovl %ss, %edi") { $0.mov(.edi, .ss) }
        t("mov ds, word ptr [ebx]") { $0.mov(.ds, .mem(.ebx)) }
        t("mov word ptr [ebx], cs") { $0.mov(.mem(.ebx), .cs) }

        modes = [.bits16, .bits32]
        t("mov cr0, eax") { $0.mov(.cr0, .eax) }
        t("mov eax, cr0") { $0.mov(.eax, .cr0) }
        t("mov cr3, edi") { $0.mov(.cr3, .edi) }
        t("mov cr4, ecx") { $0.mov(.cr4, .ecx) }
        t("mov ebx, cr2") { $0.mov(.ebx, .cr2) }
        t("mov ebx, cr4") { $0.mov(.ebx, .cr4) }

        modes = CodeMode.allCases
        t("movzx eax, al") { $0.movzx(.eax, .al) }
        t("movzx eax, bh") { $0.movzx(.eax, .bh) }
        t("movzx ax, bl") { $0.movzx(.ax, .bl) }
        t("movzx eax, cx") { $0.movzx(.eax, .cx) }
        t("movzx eax, byte ptr [esi]") { $0.movzx(.eax, .byte, .mem(.esi)) }
        t("movzx eax, word ptr [esi + 2]") { $0.movzx(.eax, .word, .mem(.esi, 2)) }
        t("movzx cx, byte ptr [esi]") { $0.movzx(.cx, .byte, .mem(.esi)) }
        t("movsx eax, al") { $0.movsx(.eax, .al) }
        t("movsx ecx, dx") { $0.movsx(.ecx, .dx) }
        t("movsx dx, ah") { $0.movsx(.dx, .ah) }
        t("movsx eax, byte ptr [esi]") { $0.movsx(.eax, .byte, .mem(.esi)) }
        t("movsx ax, byte ptr [esi + 1]") { $0.movsx(.ax, .byte, .mem(.esi, 1)) }
        t("movsx eax, word ptr [esi]") { $0.movsx(.eax, .word, .mem(.esi)) }

        t("lea eax, [ebx + 4*ecx + 8]") { $0.lea(.eax, .mem(.ebx, .ecx, scale: 4, 8)) }
        t("lea ax, [esi + 4]") { $0.lea(.ax, .mem(.esi, 4)) }
        t("lea esi, [0x1000]") { $0.lea(.esi, .mem(0x1000)) }
        t("lea esp, [esp - 16]") { $0.lea(.esp, .mem(.esp, -16)) }

        t("xchg eax, ebx") { $0.xchg(.eax, .ebx) }
        t("xchg ebx, eax") { $0.xchg(.ebx, .eax) }
        t("xchg ecx, edx") { $0.xchg(.ecx, .edx) }
        t("xchg ax, bx") { $0.xchg(.ax, .bx) }
        t("xchg si, ax") { $0.xchg(.si, .ax) }
        t("xchg ax, ax") { $0.xchg(.ax, .ax) }
        t("xchg eax, eax") { $0.xchg(.eax, .eax) }
        t("xchg al, bl") { $0.xchg(.al, .bl) }
        t("xchg ah, al") { $0.xchg(.ah, .al) }
        t("xchg dword ptr [ebx], eax") { $0.xchg(.mem(.ebx), .eax) }
        t("xchg cx, word ptr [ebx]") { $0.xchg(.cx, .mem(.ebx)) }
        t("xchg al, byte ptr [ebx + 1]") { $0.xchg(.al, .mem(.ebx, 1)) }
    }

    /// ModRM and SIB forms, through `mov` (and `lea`, which has no moffs form).
    mutating func addressing() {
        // 16-bit addressing: real mode's eight forms; in 32-bit mode they get 0x67.
        modes = [.bits16, .bits32]
        t("mov ax, word ptr [bx + si]") { $0.mov(.ax, .mem(.bx, .si)) }
        t("mov ax, word ptr [bx + di]") { $0.mov(.ax, .mem(.bx, .di)) }
        t("mov ax, word ptr [bp + si]") { $0.mov(.ax, .mem(.bp, .si)) }
        t("mov ax, word ptr [bp + di]") { $0.mov(.ax, .mem(.bp, .di)) }
        t("mov ax, word ptr [si + bx]") { $0.mov(.ax, .mem(.si, .bx)) }
        t("mov ax, word ptr [si]") { $0.mov(.ax, .mem(.si)) }
        t("mov ax, word ptr [di]") { $0.mov(.ax, .mem(.di)) }
        t("mov ax, word ptr [bp]") { $0.mov(.ax, .mem(.bp)) }
        t("mov ax, word ptr [bx]") { $0.mov(.ax, .mem(.bx)) }
        t("mov cl, byte ptr [bx + si + 5]") { $0.mov(.cl, .mem(.bx, .si, 5)) }
        t("mov cx, word ptr [bp + di - 3]") { $0.mov(.cx, .mem(.bp, .di, -3)) }
        t("mov dx, word ptr [bx + 0x1234]") { $0.mov(.dx, .mem(.bx, 0x1234)) }
        t("mov dx, word ptr [bp + 0x100]") { $0.mov(.dx, .mem(.bp, 0x100)) }
        t("mov dx, word ptr [si + 0x80]") { $0.mov(.dx, .mem(.si, 0x80)) }
        t("mov dx, word ptr [di - 128]") { $0.mov(.dx, .mem(.di, -128)) }
        t("mov dx, word ptr [bx + 127]") { $0.mov(.dx, .mem(.bx, 127)) }
        t("mov eax, dword ptr [bp + 6]") { $0.mov(.eax, .mem(.bp, 6)) }
        t("mov byte ptr es:[di], al") { $0.mov(.mem(.di).segment(.es), .al) }
        t("mov word ptr cs:[bx + si + 2], dx") { $0.mov(.mem(.bx, .si, 2).segment(.cs), .dx) }
        t("lea si, [bx + di + 0x40]") { $0.lea(.si, .mem(.bx, .di, 0x40)) }
        t("mov word ptr [bx], 7") { $0.mov(.word, .mem(.bx), 7) }
        t("lgdt [bx]") { $0.lgdt(.mem(.bx)) }

        // 32-bit addressing: native in 32-bit mode, 0x67 in the others.
        modes = CodeMode.allCases
        t("mov ecx, dword ptr [eax]") { $0.mov(.ecx, .mem(.eax)) }
        t("mov ecx, dword ptr [ebp]") { $0.mov(.ecx, .mem(.ebp)) }
        t("mov ecx, dword ptr [esp]") { $0.mov(.ecx, .mem(.esp)) }
        t("mov ecx, dword ptr [esp + 8]") { $0.mov(.ecx, .mem(.esp, 8)) }
        t("mov ecx, dword ptr [ebp - 4]") { $0.mov(.ecx, .mem(.ebp, -4)) }
        t("mov ecx, dword ptr [ecx + 0x12345678]") { $0.mov(.ecx, .mem(.ecx, 0x1234_5678)) }
        t("mov ecx, dword ptr [ebx + 0x80]") { $0.mov(.ecx, .mem(.ebx, 0x80)) }
        t("mov ecx, dword ptr [ebx - 0x80]") { $0.mov(.ecx, .mem(.ebx, -0x80)) }
        t("mov ecx, dword ptr [eax + ebx]") { $0.mov(.ecx, .mem(.eax, .ebx)) }
        t("mov ecx, dword ptr [eax + 2*ebx + 8]") { $0.mov(.ecx, .mem(.eax, .ebx, scale: 2, 8)) }
        t("mov ecx, dword ptr [esp + 4*ecx]") { $0.mov(.ecx, .mem(.esp, .ecx, scale: 4)) }
        t("mov ecx, dword ptr [ebp + 8*esi + 0x1000]") { $0.mov(.ecx, .mem(.ebp, .esi, scale: 8, 0x1000)) }
        t("mov ecx, dword ptr [ebp + edi]") { $0.mov(.ecx, .mem(.ebp, .edi)) }
        t("mov ecx, dword ptr [4*ebx + 0x10]") { $0.mov(.ecx, .mem(index: .ebx, scale: 4, 0x10)) }
        t("mov ecx, dword ptr [8*edi]") { $0.mov(.ecx, .mem(index: .edi, scale: 8)) }
        t("mov ecx, dword ptr [0x12345678]", modes: [.bits32, .bits64]) { $0.mov(.ecx, .mem(0x1234_5678)) }
        t("mov ecx, dword ptr fs:[eax]") { $0.mov(.ecx, .mem(.eax).segment(.fs)) }
        t("mov ecx, dword ptr gs:[0x10]") { $0.mov(.ecx, .mem(0x10).segment(.gs)) }
        t("mov ecx, dword ptr ss:[ebx]") { $0.mov(.ecx, .mem(.ebx).segment(.ss)) }
        t("mov ecx, dword ptr ds:[esi]") { $0.mov(.ecx, .mem(.esi).segment(.ds)) }
        t("mov ecx, dword ptr es:[edi]") { $0.mov(.ecx, .mem(.edi).segment(.es)) }
        t("mov ecx, dword ptr cs:[ecx]") { $0.mov(.ecx, .mem(.ecx).segment(.cs)) }
        t("mov word ptr fs:[eax], 1") { $0.mov(.word, .mem(.eax).segment(.fs), 1) }
        t("lea eax, [ebp + 0x7fffffff]") { $0.lea(.eax, .mem(.ebp, 0x7FFF_FFFF)) }

        // 64-bit addressing, and 32-bit addressing in 64-bit mode.
        modes = [.bits64]
        t("mov rcx, qword ptr [rax]") { $0.mov(.rcx, .mem(.rax)) }
        t("mov rcx, qword ptr [r8]") { $0.mov(.rcx, .mem(.r8)) }
        t("mov rcx, qword ptr [r12]") { $0.mov(.rcx, .mem(.r12)) }
        t("mov rcx, qword ptr [r13]") { $0.mov(.rcx, .mem(.r13)) }
        t("mov rcx, qword ptr [rsp]") { $0.mov(.rcx, .mem(.rsp)) }
        t("mov rcx, qword ptr [rbp]") { $0.mov(.rcx, .mem(.rbp)) }
        t("mov rcx, qword ptr [rbx + 8*r9 + 0x10]") { $0.mov(.rcx, .mem(.rbx, .r9, scale: 8, 0x10)) }
        t("mov rcx, qword ptr [r12 + 2*r13]") { $0.mov(.rcx, .mem(.r12, .r13, scale: 2)) }
        t("mov rcx, qword ptr [r13 + 4*r12 - 8]") { $0.mov(.rcx, .mem(.r13, .r12, scale: 4, -8)) }
        t("mov rcx, qword ptr [r15 - 8]") { $0.mov(.rcx, .mem(.r15, -8)) }
        t("mov rcx, qword ptr [4*r11 + 8]") { $0.mov(.rcx, .mem(index: .r11, scale: 4, 8)) }
        t("mov rcx, qword ptr [0x1000]") { $0.mov(.rcx, .mem(0x1000)) }
        t("mov rcx, qword ptr [-8]") { $0.mov(.rcx, .mem(-8)) }
        t("mov rcx, qword ptr [rip + 0x10]") { a in
            a.mov(.rcx, .rip(a.here().address + 7 + 0x10))
        }
        t("mov eax, dword ptr [r8d + 4]") { $0.mov(.eax, .mem(.r8d, 4)) }
        t("mov eax, dword ptr [eax + 2*r9d]") { $0.mov(.eax, .mem(.eax, .r9d, scale: 2)) }
        t("mov r9, qword ptr [r12 + 8*r13 + 16]") { $0.mov(.r9, .mem(.r12, .r13, scale: 8, 16)) }
        t("mov dword ptr [r13], r8d") { $0.mov(.mem(.r13), .r8d) }
        t("mov r8b, byte ptr [rsi]") { $0.mov(.r8b, .mem(.rsi)) }
        t("mov sil, byte ptr [r10]") { $0.mov(.sil, .mem(.r10)) }
        t("mov qword ptr gs:[0x28], rax") { $0.mov(.mem(0x28).segment(.gs), .rax) }
        t("mov qword ptr [rsp + 8*rax + 0x7f], 0") { $0.mov(.qword, .mem(.rsp, .rax, scale: 8, 0x7F), 0) }
    }
}
