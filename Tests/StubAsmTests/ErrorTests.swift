import StubAsm
import Testing

/// Misuse is a typed error from `finish()`, never a trap; the same program always gives the same bytes.
@Suite struct ErrorTests {
    private func finish(_ mode: CodeMode = .bits32, origin: UInt64 = 0,
                        _ build: (inout Assembler) -> Void) throws(AssemblerError) -> [UInt8] {
        var assembler = Assembler(mode: mode, origin: origin)
        build(&assembler)
        return try assembler.finish()
    }

    // MARK: Labels

    @Test func undefinedLabel() {
        #expect(throws: AssemblerError.undefinedLabel("target", at: 1)) {
            try finish { a in a.nop(); a.jmp(a.label("target")) }
        }
        #expect(throws: AssemblerError.undefinedLabel("#0", at: 0)) { try finish { a in a.dd(a.label().address) } }
    }

    @Test func labelOfAnotherAssembler() {
        var other = Assembler(mode: .bits32)
        _ = other.label()
        let foreign = other.label("foreign")
        #expect(throws: AssemblerError.undefinedLabel("#1", at: 0)) { try finish { a in a.call(foreign) } }
        #expect(throws: AssemblerError.undefinedLabel("#1", at: 0)) { try finish { a in a.bind(foreign) } }
    }

    @Test func labelBoundTwice() {
        #expect(throws: AssemblerError.labelBoundTwice("twice", at: 1)) {
            try finish { a in let l = a.here("twice"); a.nop(); a.bind(l) }
        }
    }

    @Test func shortJumpOutOfRange() throws {
        // 127 forward and 128 back are the limits of rel8.
        let forward = try finish { a in let l = a.label(); a.jmp(l, .short); a.space(127); a.bind(l) }
        #expect(forward.prefix(2) == [0xEB, 0x7F])
        #expect(try finish { a in let l = a.here(); a.space(126); a.jcc(.ne, l, .short) }.suffix(2) == [0x75, 0x80])
        #expect(throws: AssemblerError.jumpOutOfRange(distance: 128, bits: 8, at: 0)) {
            try finish { a in let l = a.label(); a.jmp(l, .short); a.space(128); a.bind(l) }
        }
        #expect(throws: AssemblerError.jumpOutOfRange(distance: -129, bits: 8, at: 127)) {
            try finish { a in let l = a.here(); a.space(127); a.jcc(.e, l, .short) }
        }
        #expect(throws: AssemblerError.jumpOutOfRange(distance: -202, bits: 8, at: 200)) {
            try finish { a in let l = a.here(); a.space(200); a.loop(l) }
        }
    }

    @Test func nearJumpOutOfRangeInRealMode() {
        #expect(throws: AssemblerError.jumpOutOfRange(distance: 40_000, bits: 16, at: 0)) {
            try finish(.bits16) { a in let l = a.label(); a.jmp(l); a.space(40_000); a.bind(l) }
        }
    }

    @Test func ripRelativeOutOfRange() {
        #expect(throws: AssemblerError.jumpOutOfRange(distance: 0x1_0000_0000 - 7, bits: 32, at: 0)) {
            try finish(.bits64) { a in a.lea(.rax, .rip(Imm(0x1_0000_0000))) }
        }
    }

    @Test func labelsResolveBothWays() throws {
        var a = Assembler(mode: .bits64, origin: 0x1000)
        let back = a.here("back")
        let forward = a.label("forward")
        a.jmp(forward, .short)
        a.jmp(back, .short)
        a.bind(forward)
        a.dq(forward.address, back.offset)
        #expect(a.offset(of: forward) == 4 && a.offset(of: back) == 0 && a.offset(of: a.label()) == nil)
        #expect(try a.finish() == [0xEB, 0x02, 0xEB, 0xFC, 0x04, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    // MARK: Values

    @Test func valuesOutOfRange() {
        #expect(throws: AssemblerError.valueOutOfRange(256, bits: 8, at: 0)) { try finish { $0.mov(.al, 256) } }
        #expect(throws: AssemblerError.valueOutOfRange(-129, bits: 8, at: 0)) { try finish { $0.db(-129) } }
        #expect(throws: AssemblerError.valueOutOfRange(0x1_0000, bits: 16, at: 0)) { try finish { $0.dw(0x1_0000) } }
        #expect(throws: AssemblerError.valueOutOfRange(0x8000_0000, bits: 32, at: 0)) {
            try finish(.bits64) { $0.add(.rax, 0x8000_0000) }
        }
        #expect(throws: AssemblerError.valueOutOfRange(0x1_2345, bits: 16, at: 0)) {
            try finish(.bits16) { $0.mov(.cx, .mem(0x1_2345)) }
        }
        #expect(throws: AssemblerError.valueOutOfRange(0x1_0000, bits: 8, at: 0)) { try finish { $0.int(0x1_0000) } }
        #expect(throws: AssemblerError.valueOutOfRange(0x100, bits: 8, at: 0)) { try finish { $0.in(.al, 0x100) } }
        // A label's address as a sign-extended imm32: fine at 0xFFFFFFFF80000000, not at 4 GiB.
        #expect(throws: AssemblerError.valueOutOfRange(0x1_0000_0000, bits: 32, at: 0)) {
            try finish(.bits64, origin: 0x1_0000_0000) { a in a.mov(.rax, a.here().address) }
        }
        #expect(throws: Never.self) {
            try finish(.bits64, origin: 0xFFFF_FFFF_8000_0000) { a in a.mov(.rax, a.here().address) }
        }
    }

    @Test func invalidExpressions() {
        #expect(throws: AssemblerError.invalidExpression("division by zero", at: 0)) {
            try finish { a in let l = a.here(); a.dd(l.offset / (l.offset - l.offset)) }
        }
        #expect(throws: AssemblerError.self) { try finish { $0.align(0) } }
        #expect(throws: AssemblerError.self) { try finish { $0.space(-1) } }
        #expect(throws: AssemblerError.self) { try finish { a in a.space(4); a.pad(toOffset: 2) } }
    }

    // MARK: Operands

    static let invalid: [(CodeMode, String, @Sendable (inout Assembler) -> Void)] = [
        (.bits32, "mov", { $0.mov(.rax, .rbx) }),
        (.bits16, "mov", { $0.mov(.r8d, 1) }),
        (.bits32, "mov", { $0.mov(.sil, .al) }),
        (.bits64, "mov", { $0.mov(.ah, .r8b) }),
        (.bits64, "mov", { $0.mov(.ah, .sil) }),
        (.bits64, "add", { $0.add(.bh, .mem(.r9)) }),
        (.bits32, "mov", { $0.mov(.eax, .mem(.eax, .esp)) }),
        (.bits32, "mov", { $0.mov(.eax, .mem(.eax, .ebx, scale: 3)) }),
        (.bits64, "mov", { $0.mov(.eax, .mem(.bx, .si)) }),
        (.bits16, "mov", { $0.mov(.ax, .mem(.bx, .bx)) }),
        (.bits16, "mov", { $0.mov(.ax, .mem(.ax)) }),
        (.bits16, "mov", { $0.mov(.ax, .mem(.si, .di)) }),
        (.bits32, "mov", { $0.mov(.eax, .mem(.rax)) }),
        (.bits32, "lea", { $0.lea(.eax, .rip(0)) }),
        (.bits32, "mov", { $0.mov(.cs, .ax) }),
        (.bits32, "mov", { $0.mov(.cs, .mem(.eax)) }),
        (.bits32, "mov", { $0.mov(.ds, .al) }),
        (.bits32, "mov", { $0.mov(.al, .ds) }),
        (.bits32, "mov", { $0.mov(.cr8, .eax) }),
        (.bits32, "mov", { $0.mov(.cr0, .ax) }),
        (.bits64, "mov", { $0.mov(.cr0, .eax) }),
        (.bits64, "mov", { $0.mov(.eax, .cr3) }),
        (.bits32, "movzx", { $0.movzx(.ax, .word, .mem(.eax)) }),
        (.bits32, "movzx", { $0.movzx(.al, .bl) }),
        (.bits32, "movsx", { $0.movsx(.eax, .dword, .mem(.eax)) }),
        (.bits32, "lea", { $0.lea(.al, .mem(.eax)) }),
        (.bits32, "push", { $0.push(Reg8.al) }),
        (.bits64, "push", { $0.push(Reg32.eax) }),
        (.bits64, "pop", { $0.pop(Reg32.eax) }),
        (.bits32, "push", { $0.push(.byte, 1) }),
        (.bits64, "push", { $0.push(.ds) }),
        (.bits32, "pop", { $0.pop(.cs) }),
        (.bits64, "pop", { $0.pop(.es) }),
        (.bits64, "pusha", { $0.pusha() }),
        (.bits64, "jmp", { $0.jmp(Reg32.eax) }),
        (.bits32, "jmp", { $0.jmp(Reg64.rax) }),
        (.bits32, "call", { $0.call(Reg8.al) }),
        (.bits64, "ljmp", { $0.ljmp(0x10, 0) }),
        (.bits32, "ljmp", { $0.ljmp(0x10, 0, size: .qword) }),
        (.bits32, "shl", { $0.shl(.eax, .bl) }),
        (.bits32, "imul", { $0.imul(.al, .bl) }),
        (.bits32, "bt", { $0.bt(.byte, .mem(.eax), 1) }),
        (.bits32, "rdrand", { $0.rdrand(.al) }),
        (.bits32, "cmovcc", { $0.cmovcc(.e, .al, .bl) }),
        (.bits32, "in", { $0.in(.bl, 0x60) }),
        (.bits32, "in", { $0.in(.al, .cx) }),
        (.bits64, "out", { $0.out(.dx, .rax) }),
        (.bits64, "ins", { $0.ins(.qword) }),
        (.bits32, "movs", { $0.movs(.qword) }),
        (.bits64, "lgdt", { $0.lgdt(.dword, .mem(.rax)) }),
        (.bits32, "retf", { $0.retf(.qword) }),
        (.bits32, "iret", { $0.iret(.byte) }),
        (.bits32, "ret", { $0.ret(); $0.mode = .bits16; $0.movabs(.rax, 0) }),
    ]

    @Test(arguments: invalid)
    func invalidOperands(mode: CodeMode, mnemonic: String, build: @Sendable (inout Assembler) -> Void) {
        var assembler = Assembler(mode: mode)
        build(&assembler)
        #expect(assembler.errors.count == 1)
        guard case .invalidOperands(let name, let reason, let errorMode, _)? = assembler.errors.first else {
            Issue.record("expected invalid operands, got \(assembler.errors)")
            return
        }
        #expect(!reason.isEmpty && errorMode == assembler.mode)
        if mnemonic != "ret" { #expect(name == mnemonic) }
        #expect(throws: AssemblerError.self) { try assembler.finish() }
    }

    @Test func errorsDescribeThemselves() {
        let errors: [AssemblerError] = [
            .undefinedLabel("x", at: 1), .labelBoundTwice("x", at: 2), .jumpOutOfRange(distance: 200, bits: 8, at: 3),
            .valueOutOfRange(300, bits: 8, at: 4), .invalidOperands("mov", reason: "why", mode: .bits16, at: 5),
            .invalidExpression("division by zero", at: 6),
        ]
        #expect(Set(errors.map(\.description)).count == errors.count)
        #expect(errors.allSatisfy { $0.description.contains("offset") })
    }

    // MARK: Determinism and layout

    @Test func sameProgramSameBytes() throws {
        var first = Assembler(mode: .bits16, origin: 0x1000)
        CaseList.modeSwitch(&first)
        var second = Assembler(mode: .bits16, origin: 0x1000)
        CaseList.modeSwitch(&second)
        let bytes = try first.finish()
        #expect(bytes == (try second.finish()))
        #expect(bytes == (try first.finish()))
        #expect(bytes.count == 8448)
    }

    @Test func alignmentFollowsTheOrigin() throws {
        #expect(try finish(origin: 0x7C02) { a in a.nop(); a.align(4, fill: 0xCC); a.hlt() } == [0x90, 0xCC, 0xF4])
        #expect(try finish(origin: 0x7C00) { a in a.nop(); a.align(4, fill: 0xCC); a.hlt() }
                == [0x90, 0xCC, 0xCC, 0xCC, 0xF4])
        #expect(try finish { a in a.nop(); a.pad(toOffset: 4, fill: 0xAA); a.ascii("Hi") }
                == [0x90, 0xAA, 0xAA, 0xAA, 0x48, 0x69])
    }

    @Test func immediatesFoldAndKeepTheirBits() throws {
        // A folded constant still gets the short forms; an unsigned 64-bit value keeps its bit pattern.
        #expect(try finish { $0.add(.eax, Imm(2) * 8 - 1) } == [0x83, 0xC0, 0x0F])
        #expect(try finish(.bits64) { $0.movabs(.rax, Imm(UInt64.max)) }
                == [0x48, 0xB8] + Array(repeating: 0xFF, count: 8))
        #expect(try finish { $0.dd(~Imm(0), Imm(1) << 31, Imm(-16) >> 2, Imm(7) % 4, Imm(6) ^ 3, Imm(6) & 3) }
                == [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x80, 0xFC, 0xFF, 0xFF, 0xFF, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0])
    }
}
