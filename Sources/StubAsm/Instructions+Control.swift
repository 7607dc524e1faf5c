// Control transfer: jumps, calls, returns, interrupts, and the flag-conditional jcc/setcc/cmovcc.

/// A condition code, numbered as in `jcc`'s opcode (`70+cc`). Aliases name the same code: `.z` is `.e`.
public struct Condition: Hashable, Sendable {
    public let code: UInt8

    init(_ code: UInt8) { self.code = code }

    public static let o = Condition(0), no = Condition(1)
    /// Unsigned below (carry).
    public static let b = Condition(2), c = b, nae = b
    public static let ae = Condition(3), nb = ae, nc = ae
    public static let e = Condition(4), z = e
    public static let ne = Condition(5), nz = ne
    public static let be = Condition(6), na = be
    /// Unsigned above.
    public static let a = Condition(7), nbe = a
    public static let s = Condition(8), ns = Condition(9)
    public static let p = Condition(10), pe = p
    public static let np = Condition(11), po = np
    /// Signed less.
    public static let l = Condition(12), nge = l
    public static let ge = Condition(13), nl = ge
    public static let le = Condition(14), ng = le
    /// Signed greater.
    public static let g = Condition(15), nle = g
}

/// How far a jump to a label reaches. The choice is the caller's, never the assembler's, so every instruction's
/// size is known when it is emitted: `.near` (the default) is rel16 in 16-bit mode and rel32 otherwise, `.short`
/// is rel8, and `finish()` reports a short jump whose target is out of reach.
public enum JumpDistance: Sendable {
    case short, near
}

extension Assembler {
    // MARK: Relative jumps and calls

    public mutating func jmp(_ target: Label, _ distance: JumpDistance = .near) { jmp(target.address, distance) }

    /// `jmp` to an absolute address: the displacement is `target` minus the address after the instruction.
    public mutating func jmp(_ target: Imm, _ distance: JumpDistance = .near) {
        relative("jmp", short: [0xEB], near: [0xE9], target, distance)
    }

    public mutating func jcc(_ condition: Condition, _ target: Label, _ distance: JumpDistance = .near) {
        jcc(condition, target.address, distance)
    }

    public mutating func jcc(_ condition: Condition, _ target: Imm, _ distance: JumpDistance = .near) {
        relative("jcc", short: [0x70 | condition.code], near: [0x0F, 0x80 | condition.code], target, distance)
    }

    /// `call rel16/rel32`.
    public mutating func call(_ target: Label) { call(target.address) }
    public mutating func call(_ target: Imm) { relative("call", short: nil, near: [0xE8], target, .near) }

    /// `loop rel8`: decrements cx/ecx/rcx and jumps while it is not zero.
    public mutating func loop(_ target: Label) { relative("loop", short: [0xE2], near: nil, target.address, .short) }

    private mutating func relative(_ name: String, short: [UInt8]?, near: [UInt8]?, _ target: Imm,
                                   _ distance: JumpDistance) {
        let width: OperandSize = distance == .short ? .byte : mode == .bits16 ? .word : .dword
        emit(name) {
            guard let opcode = distance == .short ? short : near else { throw OperandError("no \(distance) form") }
            return try $0.plain(opcode, fields: [Field(target, width, .relative)])
        }
    }

    // MARK: Indirect jumps and calls

    /// `jmp r`: a 16- or 32-bit register outside 64-bit mode, a 64-bit one in it.
    public mutating func jmp<R: GPRegister>(_ target: R) { indirect("jmp", 4, .register(GPR(target)), R.size) }
    /// `jmp [m]`: a near pointer of the mode's width.
    public mutating func jmp(_ target: Memory) { indirect("jmp", 4, .memory(target), mode.stackSize) }
    public mutating func call<R: GPRegister>(_ target: R) { indirect("call", 2, .register(GPR(target)), R.size) }
    public mutating func call(_ target: Memory) { indirect("call", 2, .memory(target), mode.stackSize) }

    private mutating func indirect(_ name: String, _ digit: UInt8, _ target: RMOperand, _ size: OperandSize) {
        emit(name) {
            guard size != .byte, ($0.mode == .bits64) == (size == .qword) else {
                throw OperandError("near pointers are 16 or 32 bits, or 64 in 64-bit mode")
            }
            return try $0.modRM([0xFF], size: size, reg: .digit(digit), rm: target, default64: true)
        }
    }

    // MARK: Far jumps

    /// `jmp far selector:offset` (`ljmp`), `EA` with a ptr16:16 in 16-bit mode and ptr16:32 in 32-bit mode, or
    /// the other one with `size`. How real mode enters protected mode and compatibility mode enters 64-bit code.
    public mutating func ljmp(_ selector: Imm, _ offset: Imm, size: OperandSize? = nil) {
        let size = size ?? mode.stackSize
        emit("ljmp") {
            guard $0.mode != .bits64 else { throw OperandError("no direct far jump in 64-bit mode") }
            guard size == .word || size == .dword else { throw OperandError("far pointer offsets are 16 or 32 bits") }
            return try $0.plain([0xEA], size: size, fields: [Field(offset, size), Field(selector, .word)])
        }
    }

    // MARK: Returns

    /// `ret`, or `ret imm16` popping `bytes` more.
    public mutating func ret(_ bytes: Imm? = nil) {
        emit("ret") {
            guard let bytes else { return try $0.plain([0xC3]) }
            return try $0.plain([0xC2], fields: [Field(bytes, .word)])
        }
    }

    /// Far return, `retf`/`lret`: pops offset and selector of `size` (default: the mode's width, so `lretq` in
    /// 64-bit mode; `.dword` there is the 32-bit `lret`).
    public mutating func retf(_ size: OperandSize? = nil) { sizedReturn("retf", 0xCB, size) }

    /// `iret`/`iretd`/`iretq` by `size`; default, the mode's width.
    public mutating func iret(_ size: OperandSize? = nil) { sizedReturn("iret", 0xCF, size) }

    private mutating func sizedReturn(_ name: String, _ opcode: UInt8, _ size: OperandSize?) {
        let size = size ?? mode.stackSize
        emit(name) {
            guard size != .byte else { throw OperandError("no 8-bit \(name)") }
            return try $0.plain([opcode], size: size)
        }
    }

    // MARK: Interrupts

    /// `int n`: `CD ib`, except that a constant 3 becomes the one-byte `int3`, as LLVM and GNU write it.
    public mutating func int(_ vector: Imm) {
        emit("int") {
            if vector.constant == 3 { return try $0.plain([0xCC]) }
            return try $0.plain([0xCD], fields: [Field(vector, .byte)])
        }
    }
    /// The one-byte breakpoint `int3`.
    public mutating func int3() { emit("int3") { try $0.plain([0xCC]) } }

    // MARK: setcc, cmovcc

    /// `setcc r8`: 1 if the condition holds, else 0.
    public mutating func setcc(_ condition: Condition, _ dst: Reg8) {
        let dst = GPR(dst)
        emit("setcc") { try $0.modRM([0x0F, 0x90 | condition.code], size: nil, reg: .digit(0), rm: .register(dst)) }
    }

    /// `setcc byte ptr [m]`.
    public mutating func setcc(_ condition: Condition, _ dst: Memory) {
        emit("setcc") { try $0.modRM([0x0F, 0x90 | condition.code], size: nil, reg: .digit(0), rm: .memory(dst)) }
    }

    /// `cmovcc r, r` (16-, 32- or 64-bit).
    public mutating func cmovcc<R: GPRegister>(_ condition: Condition, _ dst: R, _ src: R) {
        twoByte("cmovcc", 0x40 | condition.code, GPR(dst), .register(GPR(src)))
    }

    public mutating func cmovcc<R: GPRegister>(_ condition: Condition, _ dst: R, _ src: Memory) {
        twoByte("cmovcc", 0x40 | condition.code, GPR(dst), .memory(src))
    }
}
