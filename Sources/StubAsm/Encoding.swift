/// A value field of an instruction or directive, written by `finish()`.
struct Field: Sendable {
    enum Kind: Sendable, Equatable {
        /// Any value of the width, signed or unsigned.
        case either
        /// A value the processor sign-extends: `imm8` forms, `disp8`, a 64-bit operation's `imm32`.
        case signed
        /// An absolute target, stored as its distance from the end of the instruction (rel8/16/32, RIP).
        case relative
    }

    let value: Imm
    let size: OperandSize
    let kind: Kind

    init(_ value: Imm, _ size: OperandSize, _ kind: Kind = .either) {
        self.value = value
        self.size = size
        self.kind = kind
    }

    /// The immediate of an operation of `size`: a 64-bit operation takes a sign-extended 32-bit one.
    static func immediate(_ value: Imm, _ size: OperandSize) -> Field {
        size == .qword ? Field(value, .dword, .signed) : Field(value, size)
    }
}

/// One instruction before it lands in the buffer. Prefixes go out in the order LLVM's assembler writes them:
/// repeat, segment override, 0x67, 0x66, REX, then the opcode, ModRM, SIB and the fields.
struct Instruction: Sendable {
    var repeatPrefix: UInt8?
    var segment: SegmentReg?
    var addressSizeOverride = false
    var operandSizeOverride = false
    /// REX's W, R, X and B bits.
    var rex: UInt8 = 0
    /// `spl`…`dil` need a REX prefix even when it has no bit set.
    var needsREX = false
    /// `ah`…`bh` cannot be encoded with one.
    var forbidsREX = false
    var opcode: [UInt8]
    var modRM: UInt8?
    var sib: UInt8?
    /// Displacement first, then immediates.
    var fields: [Field] = []

    init(_ opcode: [UInt8]) { self.opcode = opcode }

    static let rexW: UInt8 = 8, rexR: UInt8 = 4, rexX: UInt8 = 2, rexB: UInt8 = 1

    /// Everything before the fields.
    var head: [UInt8] {
        var bytes: [UInt8] = []
        if let repeatPrefix { bytes.append(repeatPrefix) }
        if let segment { bytes.append(segment.overridePrefix) }
        if addressSizeOverride { bytes.append(0x67) }
        if operandSizeOverride { bytes.append(0x66) }
        if rex != 0 || needsREX { bytes.append(0x40 | rex) }
        bytes += opcode
        if let modRM { bytes.append(modRM) }
        if let sib { bytes.append(sib) }
        return bytes
    }
}

/// Why operands cannot be encoded; becomes `AssemblerError.invalidOperands`.
struct OperandError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A general-purpose register of any width, as the encoder sees it.
struct GPR: Sendable, Equatable {
    let number: UInt8
    let size: OperandSize
    let isHighByte: Bool

    init<R: GPRegister>(_ register: R) {
        number = register.number
        size = R.size
        isHighByte = (register as? Reg8)?.isHighByte ?? false
    }

    var low: UInt8 { number & 7 }
    var isExtended: Bool { number >= 8 }
    /// `spl`…`dil` and r8–r15 exist only with REX.
    var needsREX: Bool { isExtended || (size == .byte && number >= 4 && !isHighByte) }
    var isAccumulator: Bool { number == 0 }

    var name: String {
        guard number < 16, !isHighByte || (4..<8).contains(number) else { return "register \(number)" }
        switch size {
        case .byte: return isHighByte ? ["ah", "ch", "dh", "bh"][Int(number) - 4] : Reg8.names[Int(number)]
        case .word: return Reg16.names[Int(number)]
        case .dword: return Reg32.names[Int(number)]
        case .qword: return Reg64.names[Int(number)]
        }
    }
}

/// The ModRM reg field: an opcode extension (`/4`) or a register.
enum RegField {
    case digit(UInt8)
    case register(GPR)
    /// A segment or control register's number.
    case special(UInt8)
}

/// The ModRM r/m operand.
enum RMOperand {
    case register(GPR)
    case memory(Memory)
}

/// The mode-dependent encoding rules: prefixes, REX, ModRM and SIB.
struct Encoder {
    let mode: CodeMode

    /// An instruction with no ModRM (`cli`, `push imm`, `ret`), of operand size `size` when it has one.
    func plain(_ opcode: [UInt8], size: OperandSize? = nil, fields: [Field] = [],
               default64: Bool = false) throws -> Instruction {
        var instruction = Instruction(opcode)
        try setOperandSize(size, &instruction, default64: default64)
        instruction.fields = fields
        try finalize(&instruction)
        return instruction
    }

    /// An instruction with the register in the opcode's low bits (`mov r, imm`, `push r`, `xchg eax, r`).
    func plusRegister(_ opcode: UInt8, _ register: GPR, fields: [Field] = [],
                      default64: Bool = false) throws -> Instruction {
        var instruction = Instruction([opcode | register.low])
        try setOperandSize(register.size, &instruction, default64: default64)
        try use(register, &instruction)
        if register.isExtended { instruction.rex |= Instruction.rexB }
        instruction.fields = fields
        try finalize(&instruction)
        return instruction
    }

    /// An instruction with a ModRM byte. `size` is the operand size (nil when the instruction has none to
    /// prefix, as `lgdt`); `default64` marks instructions whose operand is 64-bit in long mode without REX.W.
    func modRM(_ opcode: [UInt8], size: OperandSize?, reg: RegField, rm: RMOperand, immediates: [Field] = [],
               default64: Bool = false) throws -> Instruction {
        var instruction = Instruction(opcode)
        try setOperandSize(size, &instruction, default64: default64)
        let regBits: UInt8
        switch reg {
        case .digit(let digit):
            regBits = digit
        case .register(let register):
            try use(register, &instruction)
            regBits = register.low
            if register.isExtended { instruction.rex |= Instruction.rexR }
        case .special(let number):
            regBits = number & 7
            if number >= 8 { instruction.rex |= Instruction.rexR }
        }
        switch rm {
        case .register(let register):
            try use(register, &instruction)
            instruction.modRM = 0xC0 | regBits << 3 | register.low
            if register.isExtended { instruction.rex |= Instruction.rexB }
        case .memory(let memory):
            try address(memory, regBits: regBits, &instruction)
        }
        instruction.fields += immediates
        try finalize(&instruction)
        return instruction
    }

    /// The 0x66 prefix or REX.W for an operand of `size`.
    func setOperandSize(_ size: OperandSize?, _ instruction: inout Instruction, default64: Bool = false) throws {
        switch size {
        case nil, .byte:
            break
        case .word:
            instruction.operandSizeOverride = mode != .bits16
        case .dword:
            if mode == .bits64 && default64 { throw OperandError("no 32-bit form in 64-bit mode") }
            instruction.operandSizeOverride = mode == .bits16
        case .qword:
            guard mode == .bits64 else { throw OperandError("64-bit operand outside 64-bit mode") }
            if !default64 { instruction.rex |= Instruction.rexW }
        }
    }

    /// Checks that the mode has the register and notes what it needs of REX.
    func use(_ register: GPR, _ instruction: inout Instruction) throws {
        // Only a conformance from outside the module could break these.
        guard register.number < 16, !register.isHighByte || (4..<8).contains(register.number) else {
            throw OperandError("no \(register.name)")
        }
        if mode != .bits64 && (register.size == .qword || register.needsREX) {
            throw OperandError("\(register.name) exists only in 64-bit mode")
        }
        instruction.needsREX = instruction.needsREX || register.needsREX
        instruction.forbidsREX = instruction.forbidsREX || register.isHighByte
    }

    func finalize(_ instruction: inout Instruction) throws {
        let hasREX = instruction.rex != 0 || instruction.needsREX
        if hasREX && mode != .bits64 { throw OperandError("needs a REX prefix, which exists only in 64-bit mode") }
        if hasREX && instruction.forbidsREX { throw OperandError("ah, ch, dh and bh cannot be used with REX") }
    }

    // MARK: Memory operands

    /// Fills in ModRM, SIB, the displacement and the prefixes a memory operand needs.
    func address(_ memory: Memory, regBits: UInt8, _ instruction: inout Instruction) throws {
        instruction.segment = memory.segmentOverride
        if memory.isRIPRelative {
            guard mode == .bits64 else { throw OperandError("RIP-relative addressing exists only in 64-bit mode") }
            instruction.modRM = regBits << 3 | 0b101
            instruction.fields.append(Field(memory.displacement, .dword, .relative))
            return
        }
        let size = memory.base?.size ?? memory.index?.size ?? mode.addressSize
        if size == .word && mode == .bits64 { throw OperandError("no 16-bit addressing in 64-bit mode") }
        if size == .qword && mode != .bits64 { throw OperandError("64-bit addressing needs 64-bit mode") }
        instruction.addressSizeOverride = size != mode.addressSize
        if size == .word {
            try address16(memory, regBits: regBits, &instruction)
        } else {
            try address32(memory, size: size, regBits: regBits, &instruction)
        }
    }

    /// Real mode's eight forms: `[bx+si]`, `[bx+di]`, `[bp+si]`, `[bp+di]`, `[si]`, `[di]`, `[bp]`, `[bx]`.
    private func address16(_ memory: Memory, regBits: UInt8, _ instruction: inout Instruction) throws {
        guard memory.scale == 1 else { throw OperandError("16-bit addressing has no scale") }
        let registers = Set([memory.base, memory.index].compactMap { $0?.number })
        let forms: [Set<UInt8>: UInt8] = [[3, 6]: 0, [3, 7]: 1, [5, 6]: 2, [5, 7]: 3, [6]: 4, [7]: 5, [5]: 6, [3]: 7]
        if registers.isEmpty {
            instruction.modRM = regBits << 3 | 0b110
            instruction.fields.append(Field(memory.displacement, .word))
            return
        }
        guard let rm = forms[registers], memory.base != memory.index else {
            throw OperandError("16-bit addressing takes bx or bp, si or di, or one of each")
        }
        let (mod, displacement) = Self.displacement(memory.displacement, full: .word, omittable: rm != 0b110)
        instruction.modRM = mod << 6 | regBits << 3 | rm
        instruction.fields += displacement
    }

    /// ModRM with an optional SIB byte, as in 32- and 64-bit addressing.
    private func address32(_ memory: Memory, size: OperandSize, regBits: UInt8,
                           _ instruction: inout Instruction) throws {
        // A 64-bit address's disp32 is sign-extended; a 32-bit one wraps.
        let kind: Field.Kind = size == .qword ? .signed : .either
        guard let base = memory.base else {
            guard let index = memory.index else {
                // [disp32]: in 64-bit mode ModRM's rm=101 means RIP-relative, so the absolute form needs SIB.
                if mode == .bits64 {
                    instruction.modRM = regBits << 3 | 0b100
                    instruction.sib = 0b00_100_101
                } else {
                    instruction.modRM = regBits << 3 | 0b101
                }
                instruction.fields.append(Field(memory.displacement, .dword, kind))
                return
            }
            // [index*scale + disp32]: SIB base=101 with mod=00 means no base.
            instruction.modRM = regBits << 3 | 0b100
            instruction.sib = try sib(scale: memory.scale, index: index, base: 0b101, &instruction)
            instruction.fields.append(Field(memory.displacement, .dword, kind))
            return
        }
        if base.number >= 8 { instruction.rex |= Instruction.rexB }
        // rm=100 means "SIB follows", so esp/r12 as a base need one; rbp/r13 with mod=00 mean no base.
        let (mod, displacement) = Self.displacement(memory.displacement, full: .dword, kind: kind,
                                                    omittable: base.number & 7 != 0b101)
        instruction.fields += displacement
        if let index = memory.index {
            instruction.modRM = mod << 6 | regBits << 3 | 0b100
            instruction.sib = try sib(scale: memory.scale, index: index, base: base.number & 7, &instruction)
        } else if base.number & 7 == 0b100 {
            instruction.modRM = mod << 6 | regBits << 3 | 0b100
            instruction.sib = 0b00_100_100
        } else {
            instruction.modRM = mod << 6 | regBits << 3 | base.number & 7
        }
    }

    private func sib(scale: Int, index: Memory.AddressRegister, base: UInt8,
                     _ instruction: inout Instruction) throws -> UInt8 {
        let scales = [1: UInt8(0), 2: 1, 4: 2, 8: 3]
        guard let scaleBits = scales[scale] else { throw OperandError("scale must be 1, 2, 4 or 8") }
        // Index 100 without REX.X means "no index".
        guard index.number != 4 else { throw OperandError("esp and rsp cannot be an index") }
        if index.number >= 8 { instruction.rex |= Instruction.rexX }
        return scaleBits << 6 | (index.number & 7) << 3 | base
    }

    /// ModRM's mod and the displacement field: none for a constant 0 (when the form allows), disp8 for a
    /// constant that fits, the full width otherwise, and always the full width for an expression with a label.
    private static func displacement(_ value: Imm, full: OperandSize, kind: Field.Kind = .either,
                                     omittable: Bool) -> (UInt8, [Field]) {
        if let constant = value.constant {
            if constant == 0 && omittable { return (0b00, []) }
            if constant.fits(bits: 8, signed: true) { return (0b01, [Field(value, .byte, .signed)]) }
        }
        return (0b10, [Field(value, full, kind)])
    }
}

extension Imm {
    /// The value as the sign-extended `imm8` of an operation of `size`, when it is a constant that has one.
    func signExtendedByte(for size: OperandSize) -> Imm? {
        guard let constant, constant.fits(bits: size.rawValue, signed: size == .qword) else { return nil }
        let shift = Int64(64 - size.rawValue)
        let extended = (constant << shift) >> shift
        return extended.fits(bits: 8, signed: true) ? Imm(extended) : nil
    }
}
