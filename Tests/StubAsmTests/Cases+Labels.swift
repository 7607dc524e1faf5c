import StubAsm

// Labels, relative and absolute references, far jumps and data. LLVM resolves `.Lx - START` at assembly time,
// so these compare without a linker. It picks jump sizes by relaxation: `{disp32}` asks it for the near form
// where StubAsm's default is near and the target would be in short range.

extension CaseList {
    mutating func labelsAndData() {
        modes = CodeMode.allCases
        t(".L1: nop\njmp .L1") { a in let l = a.here(); a.nop(); a.jmp(l, .short) }
        t("jmp .L1\nnop\n.L1:") { a in let l = a.label(); a.jmp(l, .short); a.nop(); a.bind(l) }
        t(".L1: nop\n{disp32} jmp .L1") { a in let l = a.here(); a.nop(); a.jmp(l) }
        t("{disp32} jmp .L1\nnop\n.L1:") { a in let l = a.label(); a.jmp(l); a.nop(); a.bind(l) }
        t("jmp .L1\n.fill 300, 1, 0x90\n.L1:") { a in
            let l = a.label(); a.jmp(l); a.space(300, fill: 0x90); a.bind(l)
        }
        t(".L1:\n.fill 300, 1, 0x90\njmp .L1") { a in let l = a.here(); a.space(300, fill: 0x90); a.jmp(l) }
        t(".L1: jmp .L1") { a in let l = a.here(); a.jmp(l, .short) }
        t("jmp .L1\n.fill 127, 1, 0xcc\n.L1:") { a in
            let l = a.label(); a.jmp(l, .short); a.space(127, fill: 0xCC); a.bind(l)
        }
        t(".L1:\n.fill 126, 1, 0xcc\njmp .L1") { a in let l = a.here(); a.space(126, fill: 0xCC); a.jmp(l, .short) }
        t("{disp32} jmp START + 0x10", origin: 0x7C00) { $0.jmp(Imm(0x7C00 + 0x10)) }
        t("jb START + 0x10", origin: 0x7C00) { $0.jcc(.b, Imm(0x7C00 + 0x10), .short) }
        t("{disp32} jae START - 0x10", origin: 0x7C00) { $0.jcc(.ae, Imm(0x7C00 - 0x10)) }
        t(".att_syntax\ncallw START + 0x1000", modes: [.bits16], origin: 0x7C00) { $0.call(Imm(0x7C00 + 0x1000)) }
        t("call START + 0x1000", modes: [.bits32, .bits64], origin: 0x7C00) { $0.call(Imm(0x7C00 + 0x1000)) }
        for (name, condition) in conditions {
            t("j\(name) .L1\nnop\n.L1:") { a in let l = a.label(); a.jcc(condition, l, .short); a.nop(); a.bind(l) }
            t(".L1: nop\n{disp32} j\(name) .L1") { a in let l = a.here(); a.nop(); a.jcc(condition, l) }
        }
        t(".L1: nop\nje .L1") { a in let l = a.here(); a.nop(); a.jcc(.e, l, .short) }
        t("jne .L1\n.fill 1000, 1, 0\n.L1:") { a in
            let l = a.label(); a.jcc(.ne, l); a.space(1000); a.bind(l)
        }
        t(".L1: nop\nloop .L1") { a in let l = a.here(); a.nop(); a.loop(l) }
        t(".att_syntax\n.L1: nop\ncallw .L1\ncallw .L2\nnop\n.L2:", modes: [.bits16]) { a in
            let (l1, l2) = (a.here(), a.label()); a.nop(); a.call(l1); a.call(l2); a.nop(); a.bind(l2)
        }
        t(".L1: nop\ncall .L1\ncall .L2\nnop\n.L2:", modes: [.bits32, .bits64]) { a in
            let (l1, l2) = (a.here(), a.label()); a.nop(); a.call(l1); a.call(l2); a.nop(); a.bind(l2)
        }

        // Far jumps: ptr16:16 and ptr16:32, by default the mode's.
        modes = [.bits16]
        t(".att_syntax\nljmpw $0x10, $(.L1 - START + 0x1000)\n.L1:", origin: 0x1000) { a in
            let l = a.label(); a.ljmp(0x10, l.address); a.bind(l)
        }
        t(".att_syntax\nljmpl $0x08, $(.L1 - START + 0x100000)\n.L1:", origin: 0x100000) { a in
            let l = a.label(); a.ljmp(0x08, l.address, size: .dword); a.bind(l)
        }
        t(".att_syntax\nljmpw $0xf000, $0xfff0") { $0.ljmp(0xF000, 0xFFF0) }
        modes = [.bits32]
        t(".att_syntax\nljmp $0x10, $(.L1 - START + 0x100000)\n.L1:", origin: 0x100000) { a in
            let l = a.label(); a.ljmp(0x10, l.address); a.bind(l)
        }
        t(".att_syntax\nljmpw $0x08, $0x1234") { $0.ljmp(0x08, 0x1234, size: .word) }

        // Label values in immediates, displacements and absolute addresses.
        modes = CodeMode.allCases
        t(".att_syntax\nmovl $(.L1 - START + 0x10000), %esp\n.L1:", origin: 0x10000) { a in
            let l = a.label(); a.mov(.esp, l.address); a.bind(l)
        }
        t(".att_syntax\n.L1: movw $(.L1 - START), %ax") { a in let l = a.here(); a.mov(.ax, l.offset) }
        t(".att_syntax\n.L1: movb $(.L2 - .L1), %cl\n.L2:") { a in
            let (l1, l2) = (a.here(), a.label()); a.mov(.cl, l2.offset - l1.offset); a.bind(l2)
        }
        t(".att_syntax\naddl $(.L1 - START + 0x10000), %eax\n.L1:", origin: 0x10000) { a in
            let l = a.label(); a.add(.eax, l.address); a.bind(l)
        }
        t(".att_syntax\nsubl $(.L1 - START + 0x10000), %ebx\n.L1:", origin: 0x10000) { a in
            let l = a.label(); a.sub(.ebx, l.address); a.bind(l)
        }
        t(".att_syntax\nandw $(.L1 - START + 0x1000), %bx\n.L1:", origin: 0x1000) { a in
            let l = a.label(); a.and(.bx, l.address); a.bind(l)
        }
        t(".att_syntax\ncmpl $(.L1 - START + 0x1000), 4(%esi)\n.L1:", origin: 0x1000) { a in
            let l = a.label(); a.cmp(.dword, .mem(.esi, 4), l.address); a.bind(l)
        }
        t(".att_syntax\n.L1: movl (.L2 - .L1)(%ebx), %ecx\n.L2:") { a in
            let (l1, l2) = (a.here(), a.label()); a.mov(.ecx, .mem(.ebx, l2.offset - l1.offset)); a.bind(l2)
        }
        t(".att_syntax\nmovl .L1 - START + 0x1000, %ecx\n.L1:", origin: 0x1000) { a in
            let l = a.label(); a.mov(.ecx, .mem(l.address)); a.bind(l)
        }
        t(".att_syntax\nmovl $7, .L1 - START + 0x1000\n.L1:", origin: 0x1000) { a in
            let l = a.label(); a.mov(.dword, .mem(l.address), 7); a.bind(l)
        }
        t(".att_syntax\n.L1: movl %eax, .L1 - START") { a in let l = a.here(); a.mov(.mem(l.offset), .eax) }
        t(".att_syntax\nmovl (.L1 - START)(,%ecx,4), %eax\n.L1:") { a in
            let l = a.label(); a.mov(.eax, .mem(index: .ecx, scale: 4, l.offset)); a.bind(l)
        }
        modes = [.bits16, .bits32]
        t(".att_syntax\nlgdtl .L1 - START + 0x800\n.L1: .word 0x17\n.long 0x800", origin: 0x800) { a in
            let l = a.label(); a.lgdt(.dword, .mem(l.address)); a.bind(l); a.dw(0x17); a.dd(0x800)
        }
        t(".att_syntax\n.L1: pushl $(.L1 - START + 0x1000)", origin: 0x1000) { a in
            let l = a.here(); a.push(.dword, l.address)
        }
        modes = [.bits16]
        t(".att_syntax\n.L1: movw (.L2 - .L1)(%bx), %cx\n.L2:") { a in
            let (l1, l2) = (a.here(), a.label()); a.mov(.cx, .mem(.bx, l2.offset - l1.offset)); a.bind(l2)
        }
        t(".att_syntax\n.L1: movw (.L2 - .L1)(%bp, %si), %cx\n.L2:") { a in
            let (l1, l2) = (a.here(), a.label()); a.mov(.cx, .mem(.bp, .si, l2.offset - l1.offset)); a.bind(l2)
        }
        t(".att_syntax\nmovw .L1 - START + 0x7c00, %ax\n.L1:", origin: 0x7C00) { a in
            let l = a.label(); a.mov(.ax, .mem(l.address)); a.bind(l)
        }
        t(".att_syntax\nlgdtw .L1 - START\n.L1:") { a in let l = a.label(); a.lgdt(.mem(l.offset)); a.bind(l) }
        t(".att_syntax\n.L1: pushw $(.L1 - START + 0x1000)", origin: 0x1000) { a in
            let l = a.here(); a.push(l.address)
        }
        modes = [.bits32]
        t(".att_syntax\n.L1: pushl $(.L1 - START + 0x1000)", origin: 0x1000) { a in
            let l = a.here(); a.push(l.address)
        }
        modes = [.bits64]
        t(".L1: nop\nlea rax, [rip + .L1]") { a in let l = a.here(); a.nop(); a.lea(.rax, .rip(l)) }
        t("lea r9, [rip + .L1]\nnop\n.L1:") { a in let l = a.label(); a.lea(.r9, .rip(l)); a.nop(); a.bind(l) }
        t("mov dword ptr [rip + .L1], 5\n.L1:") { a in let l = a.label(); a.mov(.dword, .rip(l), 5); a.bind(l) }
        t("add qword ptr [rip + .L1], 0x1000\n.L1:") { a in
            let l = a.label(); a.add(.qword, .rip(l), 0x1000); a.bind(l)
        }
        t("jmp qword ptr [rip + .L1]\n.L1: .quad 0") { a in let l = a.label(); a.jmp(.rip(l)); a.bind(l); a.dq(0) }
        t("mov rax, qword ptr [rip + .L1]\n.L1:", origin: 0xFFFF_FFFF_8100_0000) { a in
            let l = a.label(); a.mov(.rax, .rip(l)); a.bind(l)
        }
        t(".att_syntax\nmovq $(.L1 - START - 0x80000000), %rax\n.L1:", origin: 0xFFFF_FFFF_8000_0000) { a in
            let l = a.label(); a.mov(.rax, l.address); a.bind(l)
        }
        t(".att_syntax\nmovabsq $(.L1 - START + 0x100000000), %r10\n.L1:", origin: 0x1_0000_0000) { a in
            let l = a.label(); a.movabs(.r10, l.address); a.bind(l)
        }
        t(".att_syntax\n.L1: pushq $(.L1 - START + 0x1000)", origin: 0x1000) { a in
            let l = a.here(); a.push(l.address)
        }
        t(".att_syntax\nmovl .L1 - START + 0x1000, %eax\n.L1:", origin: 0x1000) { a in
            let l = a.label(); a.mov(.eax, .mem(l.address)); a.bind(l)
        }

        // Data directives.
        modes = CodeMode.allCases
        t(".byte 1, 2, 0xff, -1") { $0.db(1, 2, 0xFF, -1) }
        t(".word 0x1234, -2, 0xffff") { $0.dw(0x1234, -2, 0xFFFF) }
        t(".long 0x12345678, -1") { $0.dd(0x1234_5678, -1) }
        t(".quad 0x123456789abcdef0, -1") { $0.dq(0x1234_5678_9ABC_DEF0, -1) }
        t(".byte 0xde, 0xad") { $0.bytes([0xDE, 0xAD]) }
        t(".ascii \"HdrS\"") { $0.ascii("HdrS") }
        t(".asciz \"mkbzimage\"") { $0.asciz("mkbzimage") }
        t("nop\n.balign 16, 0x90\nhlt") { a in a.nop(); a.align(16, fill: 0x90); a.hlt() }
        t(".balign 8, 0\nnop") { a in a.align(8); a.nop() }
        t("nop\n.balign 4, 0xcc") { a in a.nop(); a.align(4, fill: 0xCC) }
        t(".fill 5, 1, 0xcc") { $0.space(5, fill: 0xCC) }
        t("nop\n.org 0x10, 0xaa\nhlt") { a in a.nop(); a.pad(toOffset: 0x10, fill: 0xAA); a.hlt() }
        t(".L1: .long .L1 - START + 0x7c00", origin: 0x7C00) { a in let l = a.here(); a.dd(l.address) }
        t(".long .L1 - START + 0x7c00\n.L1:", origin: 0x7C00) { a in let l = a.label(); a.dd(l.address); a.bind(l) }
        t(".L1: .quad 0\n.quad 1\n.L2:\n.word .L2 - .L1 - 1") { a in
            let l1 = a.here(); a.dq(0, 1); let l2 = a.here(); a.dw(l2.offset - l1.offset - 1)
        }
        t(".L1: .byte ((.L1 - START + 0x123456) >> 16) & 0xff, (.L1 - START + 0x123456) & 0xff", origin: 0x12_3456) {
            a in let l = a.here(); a.db((l.address >> 16) & 0xFF, l.address & 0xFF)
        }
        t(".L1: .quad .L1 - START + 0xffffffff81000000", origin: 0xFFFF_FFFF_8100_0000) { a in
            let l = a.here(); a.dq(l.address)
        }
        t(".word (.L1 - START) * 2 + 1, (.L1 - START) / 2, -(.L1 - START), ~(.L1 - START)\n.L1:") { a in
            let l = a.label(); a.dw(l.offset * 2 + 1, l.offset / 2, -l.offset, ~l.offset); a.bind(l)
        }
        t(".long (.L1 - START) | 0x80000000, (.L1 - START) ^ 0xff, (.L1 - START) % 5, (.L1 - START) << 4\n.L1:") { a in
            let l = a.label()
            a.dd(l.offset | 0x8000_0000, l.offset ^ 0xFF, l.offset % 5, l.offset << 4)
            a.bind(l)
        }

        // The example in `Assembler`'s documentation.
        t("""
            .att_syntax
            movl %cr0, %eax
            orl $1, %eax
            movl %eax, %cr0
            ljmpl $0x08, $(.Lstart32 - START + 0x1000)
            .code32
            .Lstart32: movl $0, 8(%ebx, %esi, 4)
            """, modes: [.bits16], origin: 0x1000) { asm in
            let start32 = asm.label("start32")
            asm.mov(.eax, .cr0)
            asm.or(.eax, 1)
            asm.mov(.cr0, .eax)
            asm.ljmp(0x08, start32.address, size: .dword)
            asm.mode = .bits32
            asm.bind(start32)
            asm.mov(.dword, .mem(.ebx, .esi, scale: 4, 8), 0)
        }

        // A mode switch, 16 → 32 → 64 bits, in one image: the example in the report.
        t(Self.modeSwitchSource, modes: [.bits16], origin: 0x1000) { Self.modeSwitch(&$0) }
    }

    static let modeSwitchSource = """
        .att_syntax
        cli
        xorw %ax, %ax
        movw %ax, %ds
        lgdtl .Lgdt_desc - START + 0x1000
        movl %cr0, %eax
        orl $1, %eax
        movl %eax, %cr0
        ljmpl $0x08, $(.Lstart32 - START + 0x1000)
        .code32
        .Lstart32:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %ss
        movl $(.Lstack_top - START + 0x1000), %esp
        movl %cr4, %eax
        orl $0x20, %eax
        movl %eax, %cr4
        movl $(.Lpml4 - START + 0x1000), %eax
        movl %eax, %cr3
        movl $0xc0000080, %ecx
        rdmsr
        btsl $8, %eax
        wrmsr
        movl %cr0, %eax
        orl $0x80000000, %eax
        movl %eax, %cr0
        pushl $0x18
        pushl $(.Lstart64 - START + 0x1000)
        lretl
        .code64
        .Lstart64:
        leaq .Lgdt(%rip), %rax
        movq $(.Lstack_top - START + 0x1000), %rsp
        .Lhalt: hlt
        jmp .Lhalt
        .balign 8, 0
        .Lgdt: .quad 0, 0x00cf9a000000ffff, 0x00cf92000000ffff, 0x00af9a000000ffff
        .Lgdt_end:
        .Lgdt_desc: .word .Lgdt_end - .Lgdt - 1
        .long .Lgdt - START + 0x1000
        .balign 4096, 0
        .Lpml4: .fill 4096, 1, 0
        .fill 256, 1, 0
        .Lstack_top:
        """

    static func modeSwitch(_ asm: inout Assembler) {
        let (gdt, gdtEnd, gdtDescriptor) = (asm.label("gdt"), asm.label("gdt_end"), asm.label("gdt_desc"))
        let (start32, start64, pml4, stackTop) = (asm.label(), asm.label(), asm.label(), asm.label())

        asm.cli()
        asm.xor(.ax, .ax)
        asm.mov(.ds, .ax)
        asm.lgdt(.dword, .mem(gdtDescriptor.address))
        asm.mov(.eax, .cr0)
        asm.or(.eax, 1)  // CR0.PE
        asm.mov(.cr0, .eax)
        asm.ljmp(0x08, start32.address, size: .dword)

        asm.mode = .bits32
        asm.bind(start32)
        asm.mov(.ax, 0x10)
        asm.mov(.ds, .ax)
        asm.mov(.ss, .ax)
        asm.mov(.esp, stackTop.address)
        asm.mov(.eax, .cr4)
        asm.or(.eax, 0x20)  // CR4.PAE
        asm.mov(.cr4, .eax)
        asm.mov(.eax, pml4.address)
        asm.mov(.cr3, .eax)
        asm.mov(.ecx, 0xC000_0080)  // EFER
        asm.rdmsr()
        asm.bts(.eax, 8)  // EFER.LME
        asm.wrmsr()
        asm.mov(.eax, .cr0)
        asm.or(.eax, 0x8000_0000)  // CR0.PG
        asm.mov(.cr0, .eax)
        asm.push(0x18)
        asm.push(start64.address)
        asm.retf()

        asm.mode = .bits64
        asm.bind(start64)
        asm.lea(.rax, .rip(gdt))
        asm.mov(.rsp, stackTop.address)
        let halt = asm.here()
        asm.hlt()
        asm.jmp(halt, .short)

        asm.align(8)
        asm.bind(gdt)
        asm.dq(0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF, 0x00AF_9A00_0000_FFFF)
        asm.bind(gdtEnd)
        asm.bind(gdtDescriptor)
        asm.dw(gdtEnd.offset - gdt.offset - 1)
        asm.dd(gdt.address)
        asm.align(4096)
        asm.bind(pml4)
        asm.space(4096)
        asm.space(256)
        asm.bind(stackTop)
    }
}
