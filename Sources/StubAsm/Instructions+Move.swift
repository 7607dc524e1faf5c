// Data movement: mov and its relatives, xchg, and the stack.

extension Assembler {
    // MARK: mov

    public mutating func mov<R: GPRegister>(_ dst: R, _ src: R) {
        let (dst, src) = (GPR(dst), GPR(src))
        emit("mov") { try $0.modRM([R.size == .byte ? 0x88 : 0x89], size: R.size, reg: .register(src),
                                   rm: .register(dst)) }
    }

    /// `mov r, imm`. A 64-bit register takes the sign-extended `imm32` form when the value allows it (always
    /// for an expression with a label, which must then fit); `movabs` forces the 64-bit immediate.
    public mutating func mov<R: GPRegister>(_ dst: R, _ value: Imm) {
        let dst = GPR(dst)
        emit("mov") {
            switch R.size {
            case .qword:
                if let constant = value.constant, !constant.fits(bits: 32, signed: true) {
                    return try $0.plusRegister(0xB8, dst, fields: [Field(value, .qword)])
                }
                return try $0.modRM([0xC7], size: .qword, reg: .digit(0), rm: .register(dst),
                                    immediates: [.immediate(value, .qword)])
            case .byte:
                return try $0.plusRegister(0xB0, dst, fields: [Field(value, .byte)])
            case .word, .dword:
                return try $0.plusRegister(0xB8, dst, fields: [Field(value, R.size)])
            }
        }
    }

    /// `movabs r64, imm64`: the 10-byte form, whatever the value.
    public mutating func movabs(_ dst: Reg64, _ value: Imm) {
        let dst = GPR(dst)
        emit("movabs") { try $0.plusRegister(0xB8, dst, fields: [Field(value, .qword)]) }
    }

    /// `mov r, [m]`; al/ax/eax from an absolute address take the short `moffs` form outside 64-bit mode.
    public mutating func mov<R: GPRegister>(_ dst: R, _ src: Memory) {
        let dst = GPR(dst)
        emit("mov") {
            if let moffs = try $0.moffs(R.size == .byte ? 0xA0 : 0xA1, dst, src) { return moffs }
            return try $0.modRM([R.size == .byte ? 0x8A : 0x8B], size: R.size, reg: .register(dst), rm: .memory(src))
        }
    }

    public mutating func mov<R: GPRegister>(_ dst: Memory, _ src: R) {
        let src = GPR(src)
        emit("mov") {
            if let moffs = try $0.moffs(R.size == .byte ? 0xA2 : 0xA3, src, dst) { return moffs }
            return try $0.modRM([R.size == .byte ? 0x88 : 0x89], size: R.size, reg: .register(src), rm: .memory(dst))
        }
    }

    /// `mov size ptr [m], imm`.
    public mutating func mov(_ size: OperandSize, _ dst: Memory, _ value: Imm) {
        emit("mov") { try $0.modRM([size == .byte ? 0xC6 : 0xC7], size: size, reg: .digit(0), rm: .memory(dst),
                                   immediates: [.immediate(value, size)]) }
    }

    /// `mov sreg, r`: loads a segment register (not `cs`) from a 16-, 32- or 64-bit register. The operand size
    /// does not matter to the load, so r16 and r32 are both written without 0x66, as GNU and LLVM AT&T do.
    public mutating func mov<R: GPRegister>(_ dst: SegmentReg, _ src: R) {
        let src = GPR(src)
        emit("mov") {
            guard R.size != .byte, dst != .cs else { throw OperandError("mov loads ds, es, fs, gs, ss from r16/32/64") }
            return try $0.modRM([0x8E], size: R.size == .qword ? .qword : nil, reg: .special(dst.rawValue),
                                rm: .register(src))
        }
    }

    /// `mov sreg, [m]` (16-bit load).
    public mutating func mov(_ dst: SegmentReg, _ src: Memory) {
        emit("mov") {
            guard dst != .cs else { throw OperandError("cs cannot be loaded by mov") }
            return try $0.modRM([0x8E], size: nil, reg: .special(dst.rawValue), rm: .memory(src))
        }
    }

    /// `mov r, sreg`: with a 32- or 64-bit register the selector is zero-extended, with a 16-bit one only the
    /// low half is written.
    public mutating func mov<R: GPRegister>(_ dst: R, _ src: SegmentReg) {
        let dst = GPR(dst)
        emit("mov") {
            guard R.size != .byte else { throw OperandError("a segment register is stored to r16/32/64") }
            return try $0.modRM([0x8C], size: R.size, reg: .special(src.rawValue), rm: .register(dst))
        }
    }

    /// `mov [m], sreg` (16-bit store).
    public mutating func mov(_ dst: Memory, _ src: SegmentReg) {
        emit("mov") { try $0.modRM([0x8C], size: nil, reg: .special(src.rawValue), rm: .memory(dst)) }
    }

    /// `mov crN, r`: from a 32-bit register outside 64-bit mode, a 64-bit one in it (no prefix either way).
    public mutating func mov<R: GPRegister>(_ dst: ControlReg, _ src: R) {
        let src = GPR(src)
        emit("mov") {
            try $0.checkControlRegisterOperand(src)
            return try $0.modRM([0x0F, 0x22], size: nil, reg: .special(dst.rawValue), rm: .register(src))
        }
    }

    /// `mov r, crN`.
    public mutating func mov<R: GPRegister>(_ dst: R, _ src: ControlReg) {
        let dst = GPR(dst)
        emit("mov") {
            try $0.checkControlRegisterOperand(dst)
            return try $0.modRM([0x0F, 0x20], size: nil, reg: .special(src.rawValue), rm: .register(dst))
        }
    }

    // MARK: movzx, movsx, lea

    /// `movzx r, r8`.
    public mutating func movzx<R: GPRegister>(_ dst: R, _ src: Reg8) {
        extend("movzx", 0xB6, GPR(dst), .register(GPR(src)), .byte)
    }
    /// `movzx r, r16`.
    public mutating func movzx<R: GPRegister>(_ dst: R, _ src: Reg16) {
        extend("movzx", 0xB6, GPR(dst), .register(GPR(src)), .word)
    }
    /// `movzx r, size ptr [m]`, size `.byte` or `.word`.
    public mutating func movzx<R: GPRegister>(_ dst: R, _ size: OperandSize, _ src: Memory) {
        extend("movzx", 0xB6, GPR(dst), .memory(src), size)
    }

    /// `movsx r, r8`.
    public mutating func movsx<R: GPRegister>(_ dst: R, _ src: Reg8) {
        extend("movsx", 0xBE, GPR(dst), .register(GPR(src)), .byte)
    }
    /// `movsx r, r16`.
    public mutating func movsx<R: GPRegister>(_ dst: R, _ src: Reg16) {
        extend("movsx", 0xBE, GPR(dst), .register(GPR(src)), .word)
    }
    /// `movsx r, size ptr [m]`, size `.byte` or `.word`.
    public mutating func movsx<R: GPRegister>(_ dst: R, _ size: OperandSize, _ src: Memory) {
        extend("movsx", 0xBE, GPR(dst), .memory(src), size)
    }

    /// `0F B6/B7` (zero) and `0F BE/BF` (sign): `opcode` is the byte-source one, +1 for a word source.
    private mutating func extend(_ name: String, _ opcode: UInt8, _ dst: GPR, _ src: RMOperand, _ from: OperandSize) {
        emit(name) {
            guard from == .byte || from == .word, dst.size.rawValue > from.rawValue else {
                throw OperandError("extends a byte or word into a wider register")
            }
            return try $0.modRM([0x0F, from == .byte ? opcode : opcode + 1], size: dst.size, reg: .register(dst),
                                rm: src)
        }
    }

    /// `lea r, [m]`.
    public mutating func lea<R: GPRegister>(_ dst: R, _ src: Memory) {
        let dst = GPR(dst)
        emit("lea") {
            guard R.size != .byte else { throw OperandError("lea needs a 16-, 32- or 64-bit register") }
            return try $0.modRM([0x8D], size: R.size, reg: .register(dst), rm: .memory(src))
        }
    }

    // MARK: xchg

    /// `xchg r, r`; with the accumulator, the one-byte `90+r` form.
    public mutating func xchg<R: GPRegister>(_ a: R, _ b: R) {
        let (a, b) = (GPR(a), GPR(b))
        emit("xchg") {
            if R.size != .byte && (a.isAccumulator || b.isAccumulator) {
                let other = a.isAccumulator ? b : a
                switch (other.isAccumulator, R.size, $0.mode) {
                case (true, .qword, _): return try $0.plain([0x90])  // LLVM's `xchg rax, rax`: a nop
                case (true, .dword, .bits64): break  // 90 would not clear rax's upper half
                default: return try $0.plusRegister(0x90, other)
                }
            }
            return try $0.modRM([R.size == .byte ? 0x86 : 0x87], size: R.size, reg: .register(a), rm: .register(b))
        }
    }

    public mutating func xchg<R: GPRegister>(_ a: R, _ b: Memory) {
        let a = GPR(a)
        emit("xchg") { try $0.modRM([R.size == .byte ? 0x86 : 0x87], size: R.size, reg: .register(a), rm: .memory(b)) }
    }

    public mutating func xchg<R: GPRegister>(_ a: Memory, _ b: R) { xchg(b, a) }

    // MARK: Stack

    /// `push r16/32/64`: 16 or 32 bits outside 64-bit mode, 16 or 64 in it.
    public mutating func push<R: GPRegister>(_ src: R) { pushPop("push", 0x50, GPR(src)) }
    public mutating func pop<R: GPRegister>(_ dst: R) { pushPop("pop", 0x58, GPR(dst)) }

    private mutating func pushPop(_ name: String, _ opcode: UInt8, _ register: GPR) {
        emit(name) {
            guard register.size != .byte else { throw OperandError("no 8-bit \(name)") }
            return try $0.plusRegister(opcode, register, default64: true)
        }
    }

    /// `push imm` of the mode's stack width: `6A ib` when the value fits a sign-extended byte, else `68`.
    public mutating func push(_ value: Imm) { push(mode.stackSize, value) }

    /// `push imm` of a given width, such as a 32-bit push in 16-bit code (`pushl $0`).
    public mutating func push(_ size: OperandSize, _ value: Imm) {
        emit("push") {
            guard size != .byte else { throw OperandError("no 8-bit push") }
            if let byte = value.signExtendedByte(for: size) {
                return try $0.plain([0x6A], size: size, fields: [Field(byte, .byte, .signed)], default64: true)
            }
            return try $0.plain([0x68], size: size, fields: [.immediate(value, size)], default64: true)
        }
    }

    /// `push [m]` of the mode's stack width.
    public mutating func push(_ src: Memory) { push(mode.stackSize, src) }
    public mutating func push(_ size: OperandSize, _ src: Memory) {
        emit("push") {
            guard size != .byte else { throw OperandError("no 8-bit push") }
            return try $0.modRM([0xFF], size: size, reg: .digit(6), rm: .memory(src), default64: true)
        }
    }

    /// `pop [m]` of the mode's stack width.
    public mutating func pop(_ dst: Memory) { pop(mode.stackSize, dst) }
    public mutating func pop(_ size: OperandSize, _ dst: Memory) {
        emit("pop") {
            guard size != .byte else { throw OperandError("no 8-bit pop") }
            return try $0.modRM([0x8F], size: size, reg: .digit(0), rm: .memory(dst), default64: true)
        }
    }

    /// `push sreg`; only fs and gs in 64-bit mode.
    public mutating func push(_ src: SegmentReg) {
        emit("push") {
            switch src {
            case .fs, .gs: return try $0.plain([0x0F, src == .fs ? 0xA0 : 0xA8])
            default:
                guard $0.mode != .bits64 else { throw OperandError("only fs and gs are pushed in 64-bit mode") }
                return try $0.plain([src.rawValue << 3 | 0x06])
            }
        }
    }

    /// `pop sreg`; not cs, and only fs and gs in 64-bit mode.
    public mutating func pop(_ dst: SegmentReg) {
        emit("pop") {
            switch dst {
            case .fs, .gs: return try $0.plain([0x0F, dst == .fs ? 0xA1 : 0xA9])
            case .cs: throw OperandError("cs cannot be popped")
            default:
                guard $0.mode != .bits64 else { throw OperandError("only fs and gs are popped in 64-bit mode") }
                return try $0.plain([dst.rawValue << 3 | 0x07])
            }
        }
    }

    /// `pushf` of the mode's stack width, or `pushfw`/`pushfd`/`pushfq`.
    public mutating func pushf(_ size: OperandSize? = nil) { stackFlags("pushf", 0x9C, size) }
    public mutating func popf(_ size: OperandSize? = nil) { stackFlags("popf", 0x9D, size) }

    /// `pusha`/`pushad` (not in 64-bit mode).
    public mutating func pusha(_ size: OperandSize? = nil) { stackFlags("pusha", 0x60, size, legacy: true) }
    public mutating func popa(_ size: OperandSize? = nil) { stackFlags("popa", 0x61, size, legacy: true) }

    private mutating func stackFlags(_ name: String, _ opcode: UInt8, _ size: OperandSize?, legacy: Bool = false) {
        let size = size ?? mode.stackSize
        emit(name) {
            guard size != .byte else { throw OperandError("no 8-bit \(name)") }
            guard !legacy || $0.mode != .bits64 else { throw OperandError("\(name) does not exist in 64-bit mode") }
            return try $0.plain([opcode], size: size, default64: true)
        }
    }
}

extension Encoder {
    /// `mov` between the accumulator and an absolute address: `A0`–`A3` with a mode-width address. LLVM uses
    /// it outside 64-bit mode, where `moffs` would take a 64-bit address.
    func moffs(_ opcode: UInt8, _ register: GPR, _ memory: Memory) throws -> Instruction? {
        guard register.isAccumulator, memory.isAbsolute, mode != .bits64 else { return nil }
        var instruction = try plain([opcode], size: register.size,
                                    fields: [Field(memory.displacement, mode.addressSize)])
        instruction.segment = memory.segmentOverride
        return instruction
    }

    /// Control registers move to and from r32, or r64 in 64-bit mode.
    func checkControlRegisterOperand(_ register: GPR) throws {
        guard register.size == (mode == .bits64 ? .qword : .dword) else {
            throw OperandError("control registers move to and from \(mode == .bits64 ? "r64" : "r32")")
        }
    }
}
