// Processor control, descriptor tables, MSRs, port I/O and string instructions.

/// A `rep` prefix for a string instruction. `rep` and `repe` are the same byte; `repe`/`repne` only differ from
/// `rep` for `cmps` and `scas`, which stop early on (in)equality.
public enum RepeatPrefix: UInt8, Sendable {
    case rep = 0xF3, repne = 0xF2

    public static let repe = RepeatPrefix.rep, repz = RepeatPrefix.rep, repnz = RepeatPrefix.repne
}

extension Assembler {
    // MARK: No operands

    public mutating func cli() { fixed("cli", [0xFA]) }
    public mutating func sti() { fixed("sti", [0xFB]) }
    public mutating func cld() { fixed("cld", [0xFC]) }
    public mutating func std() { fixed("std", [0xFD]) }
    public mutating func clc() { fixed("clc", [0xF8]) }
    public mutating func stc() { fixed("stc", [0xF9]) }
    public mutating func cmc() { fixed("cmc", [0xF5]) }
    public mutating func hlt() { fixed("hlt", [0xF4]) }
    public mutating func nop() { fixed("nop", [0x90]) }
    public mutating func pause() { fixed("pause", [0xF3, 0x90]) }
    public mutating func cpuid() { fixed("cpuid", [0x0F, 0xA2]) }
    /// Reads MSR ecx into edx:eax.
    public mutating func rdmsr() { fixed("rdmsr", [0x0F, 0x32]) }
    /// Writes edx:eax to MSR ecx.
    public mutating func wrmsr() { fixed("wrmsr", [0x0F, 0x30]) }
    public mutating func rdtsc() { fixed("rdtsc", [0x0F, 0x31]) }
    /// A hardware random number into `dst` (16/32/64-bit); CF = 1 when one was available.
    public mutating func rdrand<R: GPRegister>(_ dst: R) {
        emit("rdrand") {
            guard R.size != .byte else { throw OperandError("rdrand takes 16-, 32- or 64-bit registers") }
            return try $0.modRM([0x0F, 0xC7], size: R.size, reg: .digit(6), rm: .register(GPR(dst)))
        }
    }
    public mutating func wbinvd() { fixed("wbinvd", [0x0F, 0x09]) }
    public mutating func ud2() { fixed("ud2", [0x0F, 0x0B]) }
    public mutating func leave() { fixed("leave", [0xC9]) }

    private mutating func fixed(_ name: String, _ bytes: [UInt8]) { emit(name) { try $0.plain(bytes) } }

    // MARK: Descriptor tables

    /// `lgdt [m]`. In 16-bit mode a plain `lgdt` loads only 24 bits of the base; `lgdt(.dword, m)` is `lgdtl`,
    /// the 32-bit form Linux's real-mode code uses.
    public mutating func lgdt(_ src: Memory) { tableRegister("lgdt", 2, nil, src) }
    public mutating func lgdt(_ size: OperandSize, _ src: Memory) { tableRegister("lgdt", 2, size, src) }
    public mutating func lidt(_ src: Memory) { tableRegister("lidt", 3, nil, src) }
    public mutating func lidt(_ size: OperandSize, _ src: Memory) { tableRegister("lidt", 3, size, src) }
    public mutating func sgdt(_ dst: Memory) { tableRegister("sgdt", 0, nil, dst) }
    public mutating func sidt(_ dst: Memory) { tableRegister("sidt", 1, nil, dst) }
    /// Invalidates the TLB entry for the page of `address`.
    public mutating func invlpg(_ address: Memory) { tableRegister("invlpg", 7, nil, address) }

    /// `0F 01 /digit` on a memory operand.
    private mutating func tableRegister(_ name: String, _ digit: UInt8, _ size: OperandSize?, _ operand: Memory) {
        emit(name) {
            guard size == nil || size == .word || (size == .dword && $0.mode != .bits64) else {
                throw OperandError("\(name) takes a 16- or 32-bit operand size, and none in 64-bit mode")
            }
            return try $0.modRM([0x0F, 0x01], size: size, reg: .digit(digit), rm: .memory(operand))
        }
    }

    /// `ltr r16`: loads the task register with a selector.
    public mutating func ltr(_ selector: Reg16) { segmentTable("ltr", 3, .register(GPR(selector))) }
    public mutating func ltr(_ selector: Memory) { segmentTable("ltr", 3, .memory(selector)) }
    /// `lldt r16`: loads the LDT register with a selector.
    public mutating func lldt(_ selector: Reg16) { segmentTable("lldt", 2, .register(GPR(selector))) }
    public mutating func lldt(_ selector: Memory) { segmentTable("lldt", 2, .memory(selector)) }

    /// `0F 00 /digit`; the selector is 16 bits whatever the mode, so no 0x66.
    private mutating func segmentTable(_ name: String, _ digit: UInt8, _ operand: RMOperand) {
        emit(name) { try $0.modRM([0x0F, 0x00], size: nil, reg: .digit(digit), rm: operand) }
    }

    // MARK: Port I/O

    /// `in al/ax/eax, imm8`.
    public mutating func `in`<R: GPRegister>(_ dst: R, _ port: Imm) { portIO("in", 0xE4, GPR(dst), port) }
    /// `in al/ax/eax, dx`.
    public mutating func `in`<R: GPRegister>(_ dst: R, _ port: Reg16) { portIO("in", 0xEC, GPR(dst), GPR(port)) }
    /// `out imm8, al/ax/eax`.
    public mutating func out<R: GPRegister>(_ port: Imm, _ src: R) { portIO("out", 0xE6, GPR(src), port) }
    /// `out dx, al/ax/eax`.
    public mutating func out<R: GPRegister>(_ port: Reg16, _ src: R) { portIO("out", 0xEE, GPR(src), GPR(port)) }

    private mutating func portIO(_ name: String, _ opcode: UInt8, _ data: GPR, _ port: Imm) {
        emit(name) {
            try $0.checkPortData(data)
            return try $0.plain([opcode | (data.size == .byte ? 0 : 1)], size: data.size, fields: [Field(port, .byte)])
        }
    }

    private mutating func portIO(_ name: String, _ opcode: UInt8, _ data: GPR, _ port: GPR) {
        emit(name) {
            try $0.checkPortData(data)
            guard port.number == 2 else { throw OperandError("the port register is dx") }
            return try $0.plain([opcode | (data.size == .byte ? 0 : 1)], size: data.size)
        }
    }

    // MARK: String instructions

    /// `movsb`/`movsw`/`movsd`/`movsq`: [rsi] to [rdi].
    public mutating func movs(_ size: OperandSize, _ prefix: RepeatPrefix? = nil) { string("movs", 0xA4, size, prefix) }
    /// `stosb`…`stosq`: the accumulator to [rdi].
    public mutating func stos(_ size: OperandSize, _ prefix: RepeatPrefix? = nil) { string("stos", 0xAA, size, prefix) }
    /// `lodsb`…`lodsq`: [rsi] to the accumulator.
    public mutating func lods(_ size: OperandSize, _ prefix: RepeatPrefix? = nil) { string("lods", 0xAC, size, prefix) }
    /// `cmpsb`…`cmpsq`: compares [rsi] with [rdi].
    public mutating func cmps(_ size: OperandSize, _ prefix: RepeatPrefix? = nil) { string("cmps", 0xA6, size, prefix) }
    /// `scasb`…`scasq`: compares the accumulator with [rdi].
    public mutating func scas(_ size: OperandSize, _ prefix: RepeatPrefix? = nil) { string("scas", 0xAE, size, prefix) }
    /// `insb`/`insw`/`insd`: port dx to [rdi].
    public mutating func ins(_ size: OperandSize, _ prefix: RepeatPrefix? = nil) { string("ins", 0x6C, size, prefix) }
    /// `outsb`/`outsw`/`outsd`: [rsi] to port dx.
    public mutating func outs(_ size: OperandSize, _ prefix: RepeatPrefix? = nil) { string("outs", 0x6E, size, prefix) }

    /// `opcode` for bytes, `opcode + 1` for the rest; the repeat prefix goes before 0x66, as LLVM writes it.
    private mutating func string(_ name: String, _ opcode: UInt8, _ size: OperandSize, _ prefix: RepeatPrefix?) {
        emit(name) {
            if opcode == 0x6C || opcode == 0x6E, size == .qword { throw OperandError("port I/O is at most 32 bits") }
            var instruction = try $0.plain([opcode | (size == .byte ? 0 : 1)], size: size)
            instruction.repeatPrefix = prefix?.rawValue
            return instruction
        }
    }
}

extension Encoder {
    func checkPortData(_ data: GPR) throws {
        guard data.isAccumulator, data.size != .qword, !data.isHighByte else {
            throw OperandError("port I/O goes through al, ax or eax")
        }
    }
}
