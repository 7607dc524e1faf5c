// Integer arithmetic and logic, shifts and bit tests.

/// The eight classic ALU operations, numbered as their opcode rows and `/digit`s.
enum ALUOperation: UInt8 {
    case add, or, adc, sbb, and, sub, xor, cmp
}

extension Assembler {
    // MARK: add, or, adc, sbb, and, sub, xor, cmp

    public mutating func add<R: GPRegister>(_ dst: R, _ src: R) { alu(.add, .register(GPR(dst)), GPR(src)) }
    public mutating func add<R: GPRegister>(_ dst: R, _ src: Imm) { alu(.add, .register(GPR(dst)), R.size, src) }
    public mutating func add<R: GPRegister>(_ dst: R, _ src: Memory) { alu(.add, GPR(dst), src) }
    public mutating func add<R: GPRegister>(_ dst: Memory, _ src: R) { alu(.add, .memory(dst), GPR(src)) }
    public mutating func add(_ size: OperandSize, _ dst: Memory, _ src: Imm) { alu(.add, .memory(dst), size, src) }

    public mutating func or<R: GPRegister>(_ dst: R, _ src: R) { alu(.or, .register(GPR(dst)), GPR(src)) }
    public mutating func or<R: GPRegister>(_ dst: R, _ src: Imm) { alu(.or, .register(GPR(dst)), R.size, src) }
    public mutating func or<R: GPRegister>(_ dst: R, _ src: Memory) { alu(.or, GPR(dst), src) }
    public mutating func or<R: GPRegister>(_ dst: Memory, _ src: R) { alu(.or, .memory(dst), GPR(src)) }
    public mutating func or(_ size: OperandSize, _ dst: Memory, _ src: Imm) { alu(.or, .memory(dst), size, src) }

    public mutating func adc<R: GPRegister>(_ dst: R, _ src: R) { alu(.adc, .register(GPR(dst)), GPR(src)) }
    public mutating func adc<R: GPRegister>(_ dst: R, _ src: Imm) { alu(.adc, .register(GPR(dst)), R.size, src) }
    public mutating func adc<R: GPRegister>(_ dst: R, _ src: Memory) { alu(.adc, GPR(dst), src) }
    public mutating func adc<R: GPRegister>(_ dst: Memory, _ src: R) { alu(.adc, .memory(dst), GPR(src)) }
    public mutating func adc(_ size: OperandSize, _ dst: Memory, _ src: Imm) { alu(.adc, .memory(dst), size, src) }

    public mutating func sbb<R: GPRegister>(_ dst: R, _ src: R) { alu(.sbb, .register(GPR(dst)), GPR(src)) }
    public mutating func sbb<R: GPRegister>(_ dst: R, _ src: Imm) { alu(.sbb, .register(GPR(dst)), R.size, src) }
    public mutating func sbb<R: GPRegister>(_ dst: R, _ src: Memory) { alu(.sbb, GPR(dst), src) }
    public mutating func sbb<R: GPRegister>(_ dst: Memory, _ src: R) { alu(.sbb, .memory(dst), GPR(src)) }
    public mutating func sbb(_ size: OperandSize, _ dst: Memory, _ src: Imm) { alu(.sbb, .memory(dst), size, src) }

    public mutating func and<R: GPRegister>(_ dst: R, _ src: R) { alu(.and, .register(GPR(dst)), GPR(src)) }
    public mutating func and<R: GPRegister>(_ dst: R, _ src: Imm) { alu(.and, .register(GPR(dst)), R.size, src) }
    public mutating func and<R: GPRegister>(_ dst: R, _ src: Memory) { alu(.and, GPR(dst), src) }
    public mutating func and<R: GPRegister>(_ dst: Memory, _ src: R) { alu(.and, .memory(dst), GPR(src)) }
    public mutating func and(_ size: OperandSize, _ dst: Memory, _ src: Imm) { alu(.and, .memory(dst), size, src) }

    public mutating func sub<R: GPRegister>(_ dst: R, _ src: R) { alu(.sub, .register(GPR(dst)), GPR(src)) }
    public mutating func sub<R: GPRegister>(_ dst: R, _ src: Imm) { alu(.sub, .register(GPR(dst)), R.size, src) }
    public mutating func sub<R: GPRegister>(_ dst: R, _ src: Memory) { alu(.sub, GPR(dst), src) }
    public mutating func sub<R: GPRegister>(_ dst: Memory, _ src: R) { alu(.sub, .memory(dst), GPR(src)) }
    public mutating func sub(_ size: OperandSize, _ dst: Memory, _ src: Imm) { alu(.sub, .memory(dst), size, src) }

    public mutating func xor<R: GPRegister>(_ dst: R, _ src: R) { alu(.xor, .register(GPR(dst)), GPR(src)) }
    public mutating func xor<R: GPRegister>(_ dst: R, _ src: Imm) { alu(.xor, .register(GPR(dst)), R.size, src) }
    public mutating func xor<R: GPRegister>(_ dst: R, _ src: Memory) { alu(.xor, GPR(dst), src) }
    public mutating func xor<R: GPRegister>(_ dst: Memory, _ src: R) { alu(.xor, .memory(dst), GPR(src)) }
    public mutating func xor(_ size: OperandSize, _ dst: Memory, _ src: Imm) { alu(.xor, .memory(dst), size, src) }

    public mutating func cmp<R: GPRegister>(_ dst: R, _ src: R) { alu(.cmp, .register(GPR(dst)), GPR(src)) }
    public mutating func cmp<R: GPRegister>(_ dst: R, _ src: Imm) { alu(.cmp, .register(GPR(dst)), R.size, src) }
    public mutating func cmp<R: GPRegister>(_ dst: R, _ src: Memory) { alu(.cmp, GPR(dst), src) }
    public mutating func cmp<R: GPRegister>(_ dst: Memory, _ src: R) { alu(.cmp, .memory(dst), GPR(src)) }
    public mutating func cmp(_ size: OperandSize, _ dst: Memory, _ src: Imm) { alu(.cmp, .memory(dst), size, src) }

    /// `op r/m, r`: opcode row + 0 (byte) or + 1.
    private mutating func alu(_ op: ALUOperation, _ dst: RMOperand, _ src: GPR) {
        emit("\(op)") { try $0.modRM([op.rawValue << 3 | (src.size == .byte ? 0 : 1)], size: src.size,
                                     reg: .register(src), rm: dst) }
    }

    /// `op r, r/m`: opcode row + 2 or + 3.
    private mutating func alu(_ op: ALUOperation, _ dst: GPR, _ src: Memory) {
        emit("\(op)") { try $0.modRM([op.rawValue << 3 | (dst.size == .byte ? 2 : 3)], size: dst.size,
                                     reg: .register(dst), rm: .memory(src)) }
    }

    /// `op r/m, imm`, in the forms LLVM picks: `83 /op ib` when the value is a constant that fits a sign-extended
    /// byte, else for a constant the accumulator's short form (row + 4/5), else `80`/`81 /op`. (LLVM relaxes an
    /// expression with a label from `83` to `81`, never to the accumulator form.)
    private mutating func alu(_ op: ALUOperation, _ dst: RMOperand, _ size: OperandSize, _ value: Imm) {
        emit("\(op)") {
            let accumulator = if case .register(let register) = dst, register.isAccumulator { true } else { false }
            if size == .byte {
                if accumulator { return try $0.plain([op.rawValue << 3 | 4], fields: [Field(value, .byte)]) }
                return try $0.modRM([0x80], size: size, reg: .digit(op.rawValue), rm: dst,
                                    immediates: [Field(value, .byte)])
            }
            if let byte = value.signExtendedByte(for: size) {
                return try $0.modRM([0x83], size: size, reg: .digit(op.rawValue), rm: dst,
                                    immediates: [Field(byte, .byte, .signed)])
            }
            if accumulator, value.constant != nil, case .register(let register) = dst {
                var instruction = try $0.plain([op.rawValue << 3 | 5], size: size, fields: [.immediate(value, size)])
                try $0.use(register, &instruction)
                return instruction
            }
            return try $0.modRM([0x81], size: size, reg: .digit(op.rawValue), rm: dst,
                                immediates: [.immediate(value, size)])
        }
    }

    // MARK: test

    public mutating func test<R: GPRegister>(_ dst: R, _ src: R) {
        let (dst, src) = (GPR(dst), GPR(src))
        emit("test") {
            try $0.modRM([R.size == .byte ? 0x84 : 0x85], size: R.size, reg: .register(src), rm: .register(dst))
        }
    }

    public mutating func test<R: GPRegister>(_ dst: Memory, _ src: R) {
        let src = GPR(src)
        emit("test") {
            try $0.modRM([R.size == .byte ? 0x84 : 0x85], size: R.size, reg: .register(src), rm: .memory(dst))
        }
    }

    /// `test r, [m]`: the same instruction as `test [m], r`.
    public mutating func test<R: GPRegister>(_ dst: R, _ src: Memory) { test(src, dst) }

    /// `test r, imm`; the accumulator has the short `A8`/`A9` form (there is no imm8 form).
    public mutating func test<R: GPRegister>(_ dst: R, _ value: Imm) {
        let dst = GPR(dst)
        emit("test") {
            let immediate = Field.immediate(value, R.size)
            if dst.isAccumulator {
                var instruction = try $0.plain([R.size == .byte ? 0xA8 : 0xA9], size: R.size, fields: [immediate])
                try $0.use(dst, &instruction)
                return instruction
            }
            return try $0.modRM([R.size == .byte ? 0xF6 : 0xF7], size: R.size, reg: .digit(0), rm: .register(dst),
                                immediates: [immediate])
        }
    }

    public mutating func test(_ size: OperandSize, _ dst: Memory, _ value: Imm) {
        emit("test") { try $0.modRM([size == .byte ? 0xF6 : 0xF7], size: size, reg: .digit(0), rm: .memory(dst),
                                    immediates: [.immediate(value, size)]) }
    }

    // MARK: inc, dec, not, neg, mul, imul, div, idiv

    /// `inc r`: the one-byte `40+r` outside 64-bit mode (where those bytes are REX), else `FE`/`FF /0`.
    public mutating func inc<R: GPRegister>(_ dst: R) { incDec("inc", 0, GPR(dst)) }
    public mutating func dec<R: GPRegister>(_ dst: R) { incDec("dec", 1, GPR(dst)) }
    public mutating func inc(_ size: OperandSize, _ dst: Memory) { unary("inc", 0xFE, 0, size, .memory(dst)) }
    public mutating func dec(_ size: OperandSize, _ dst: Memory) { unary("dec", 0xFE, 1, size, .memory(dst)) }

    private mutating func incDec(_ name: String, _ digit: UInt8, _ register: GPR) {
        if register.size != .byte && register.size != .qword && mode != .bits64 {
            emit(name) { try $0.plusRegister(0x40 | digit << 3, register) }
        } else {
            unary(name, 0xFE, digit, register.size, .register(register))
        }
    }

    public mutating func not<R: GPRegister>(_ dst: R) { unary("not", 0xF6, 2, R.size, .register(GPR(dst))) }
    public mutating func not(_ size: OperandSize, _ dst: Memory) { unary("not", 0xF6, 2, size, .memory(dst)) }
    public mutating func neg<R: GPRegister>(_ dst: R) { unary("neg", 0xF6, 3, R.size, .register(GPR(dst))) }
    public mutating func neg(_ size: OperandSize, _ dst: Memory) { unary("neg", 0xF6, 3, size, .memory(dst)) }
    /// Unsigned `mul r/m`: the accumulator (and edx/dx/ah) times the operand.
    public mutating func mul<R: GPRegister>(_ src: R) { unary("mul", 0xF6, 4, R.size, .register(GPR(src))) }
    public mutating func mul(_ size: OperandSize, _ src: Memory) { unary("mul", 0xF6, 4, size, .memory(src)) }
    /// Signed one-operand `imul r/m`.
    public mutating func imul<R: GPRegister>(_ src: R) { unary("imul", 0xF6, 5, R.size, .register(GPR(src))) }
    public mutating func imul(_ size: OperandSize, _ src: Memory) { unary("imul", 0xF6, 5, size, .memory(src)) }
    /// Unsigned `div r/m`: edx:eax (dx:ax, ax) divided by the operand.
    public mutating func div<R: GPRegister>(_ src: R) { unary("div", 0xF6, 6, R.size, .register(GPR(src))) }
    public mutating func div(_ size: OperandSize, _ src: Memory) { unary("div", 0xF6, 6, size, .memory(src)) }
    public mutating func idiv<R: GPRegister>(_ src: R) { unary("idiv", 0xF6, 7, R.size, .register(GPR(src))) }
    public mutating func idiv(_ size: OperandSize, _ src: Memory) { unary("idiv", 0xF6, 7, size, .memory(src)) }

    /// Group 3/4/5 instructions: `opcode` for bytes, `opcode + 1` for wider operands, with `/digit`.
    private mutating func unary(_ name: String, _ opcode: UInt8, _ digit: UInt8, _ size: OperandSize,
                                _ operand: RMOperand) {
        emit(name) {
            try $0.modRM([size == .byte ? opcode : opcode + 1], size: size, reg: .digit(digit), rm: operand)
        }
    }

    /// Two-operand `imul r, r/m` (16-, 32- or 64-bit).
    public mutating func imul<R: GPRegister>(_ dst: R, _ src: R) {
        twoByte("imul", 0xAF, GPR(dst), .register(GPR(src)))
    }

    public mutating func imul<R: GPRegister>(_ dst: R, _ src: Memory) { twoByte("imul", 0xAF, GPR(dst), .memory(src)) }

    /// `0F op /r` with a 16-, 32- or 64-bit register in ModRM.reg.
    mutating func twoByte(_ name: String, _ opcode: UInt8, _ reg: GPR, _ rm: RMOperand) {
        emit(name) {
            guard reg.size != .byte else { throw OperandError("\(name) takes 16-, 32- or 64-bit operands") }
            return try $0.modRM([0x0F, opcode], size: reg.size, reg: .register(reg), rm: rm)
        }
    }

    // MARK: Shifts and rotates

    /// `shl r/m, imm`: the `D0`/`D1` form for a constant 1, else `C0`/`C1 ib`.
    public mutating func shl<R: GPRegister>(_ dst: R, _ count: Imm) { shift(4, .register(GPR(dst)), R.size, count) }
    /// `shl r/m, cl`.
    public mutating func shl<R: GPRegister>(_ dst: R, _ count: Reg8) { shift(4, .register(GPR(dst)), R.size, count) }
    public mutating func shl(_ size: OperandSize, _ dst: Memory, _ count: Imm) { shift(4, .memory(dst), size, count) }
    public mutating func shl(_ size: OperandSize, _ dst: Memory, _ count: Reg8) { shift(4, .memory(dst), size, count) }

    public mutating func shr<R: GPRegister>(_ dst: R, _ count: Imm) { shift(5, .register(GPR(dst)), R.size, count) }
    public mutating func shr<R: GPRegister>(_ dst: R, _ count: Reg8) { shift(5, .register(GPR(dst)), R.size, count) }
    public mutating func shr(_ size: OperandSize, _ dst: Memory, _ count: Imm) { shift(5, .memory(dst), size, count) }
    public mutating func shr(_ size: OperandSize, _ dst: Memory, _ count: Reg8) { shift(5, .memory(dst), size, count) }

    public mutating func sar<R: GPRegister>(_ dst: R, _ count: Imm) { shift(7, .register(GPR(dst)), R.size, count) }
    public mutating func sar<R: GPRegister>(_ dst: R, _ count: Reg8) { shift(7, .register(GPR(dst)), R.size, count) }
    public mutating func sar(_ size: OperandSize, _ dst: Memory, _ count: Imm) { shift(7, .memory(dst), size, count) }
    public mutating func sar(_ size: OperandSize, _ dst: Memory, _ count: Reg8) { shift(7, .memory(dst), size, count) }

    public mutating func rol<R: GPRegister>(_ dst: R, _ count: Imm) { shift(0, .register(GPR(dst)), R.size, count) }
    public mutating func rol<R: GPRegister>(_ dst: R, _ count: Reg8) { shift(0, .register(GPR(dst)), R.size, count) }
    public mutating func rol(_ size: OperandSize, _ dst: Memory, _ count: Imm) { shift(0, .memory(dst), size, count) }
    public mutating func rol(_ size: OperandSize, _ dst: Memory, _ count: Reg8) { shift(0, .memory(dst), size, count) }

    public mutating func ror<R: GPRegister>(_ dst: R, _ count: Imm) { shift(1, .register(GPR(dst)), R.size, count) }
    public mutating func ror<R: GPRegister>(_ dst: R, _ count: Reg8) { shift(1, .register(GPR(dst)), R.size, count) }
    public mutating func ror(_ size: OperandSize, _ dst: Memory, _ count: Imm) { shift(1, .memory(dst), size, count) }
    public mutating func ror(_ size: OperandSize, _ dst: Memory, _ count: Reg8) { shift(1, .memory(dst), size, count) }

    /// By `/digit`; 2, 3 and 6 (rcl, rcr, sal) are not offered.
    private static let shiftNames = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"]

    private mutating func shift(_ digit: UInt8, _ dst: RMOperand, _ size: OperandSize, _ count: Imm) {
        emit(Self.shiftNames[Int(digit)]) {
            let wide: UInt8 = size == .byte ? 0 : 1
            if count.constant == 1 { return try $0.modRM([0xD0 | wide], size: size, reg: .digit(digit), rm: dst) }
            return try $0.modRM([0xC0 | wide], size: size, reg: .digit(digit), rm: dst,
                                immediates: [Field(count, .byte)])
        }
    }

    private mutating func shift(_ digit: UInt8, _ dst: RMOperand, _ size: OperandSize, _ count: Reg8) {
        emit(Self.shiftNames[Int(digit)]) {
            guard count == .cl else { throw OperandError("the shift count register is cl") }
            return try $0.modRM([0xD2 | (size == .byte ? 0 : 1)], size: size, reg: .digit(digit), rm: dst)
        }
    }

    // MARK: bt, bts, btr, btc

    /// `bt r/m, r`: copies the bit to CF.
    public mutating func bt<R: GPRegister>(_ dst: R, _ bit: R) { bitTest(0, .register(GPR(dst)), GPR(bit)) }
    public mutating func bt<R: GPRegister>(_ dst: Memory, _ bit: R) { bitTest(0, .memory(dst), GPR(bit)) }
    public mutating func bt<R: GPRegister>(_ dst: R, _ bit: Imm) { bitTest(0, .register(GPR(dst)), R.size, bit) }
    public mutating func bt(_ size: OperandSize, _ dst: Memory, _ bit: Imm) { bitTest(0, .memory(dst), size, bit) }
    /// `bts`: tests and sets.
    public mutating func bts<R: GPRegister>(_ dst: R, _ bit: R) { bitTest(1, .register(GPR(dst)), GPR(bit)) }
    public mutating func bts<R: GPRegister>(_ dst: Memory, _ bit: R) { bitTest(1, .memory(dst), GPR(bit)) }
    public mutating func bts<R: GPRegister>(_ dst: R, _ bit: Imm) { bitTest(1, .register(GPR(dst)), R.size, bit) }
    public mutating func bts(_ size: OperandSize, _ dst: Memory, _ bit: Imm) { bitTest(1, .memory(dst), size, bit) }
    /// `btr`: tests and clears.
    public mutating func btr<R: GPRegister>(_ dst: R, _ bit: R) { bitTest(2, .register(GPR(dst)), GPR(bit)) }
    public mutating func btr<R: GPRegister>(_ dst: Memory, _ bit: R) { bitTest(2, .memory(dst), GPR(bit)) }
    public mutating func btr<R: GPRegister>(_ dst: R, _ bit: Imm) { bitTest(2, .register(GPR(dst)), R.size, bit) }
    public mutating func btr(_ size: OperandSize, _ dst: Memory, _ bit: Imm) { bitTest(2, .memory(dst), size, bit) }
    /// `btc`: tests and complements.
    public mutating func btc<R: GPRegister>(_ dst: R, _ bit: R) { bitTest(3, .register(GPR(dst)), GPR(bit)) }
    public mutating func btc<R: GPRegister>(_ dst: Memory, _ bit: R) { bitTest(3, .memory(dst), GPR(bit)) }
    public mutating func btc<R: GPRegister>(_ dst: R, _ bit: Imm) { bitTest(3, .register(GPR(dst)), R.size, bit) }
    public mutating func btc(_ size: OperandSize, _ dst: Memory, _ bit: Imm) { bitTest(3, .memory(dst), size, bit) }

    private static let bitTestNames = ["bt", "bts", "btr", "btc"]

    /// `0F A3/AB/B3/BB /r`.
    private mutating func bitTest(_ variant: UInt8, _ dst: RMOperand, _ bit: GPR) {
        twoByte(Self.bitTestNames[Int(variant)], 0xA3 | variant << 3, bit, dst)
    }

    /// `0F BA /4–7 ib`.
    private mutating func bitTest(_ variant: UInt8, _ dst: RMOperand, _ size: OperandSize, _ bit: Imm) {
        emit(Self.bitTestNames[Int(variant)]) {
            guard size != .byte else { throw OperandError("bit tests take 16-, 32- or 64-bit operands") }
            return try $0.modRM([0x0F, 0xBA], size: size, reg: .digit(4 + variant), rm: dst,
                                immediates: [Field(bit, .byte)])
        }
    }
}
