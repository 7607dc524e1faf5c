import StubAsm
import Testing

/// Every instruction form StubAsm has, byte for byte against LLVM's assembler.
@Suite struct ClangComparisonTests {
    @Test(arguments: AllCases.list)
    func matchesLLVM(_ testCase: EncodingCase) throws {
        let output = try ClangReference.output.get()
        let expected = try #require(output.sections[testCase.id],
                                    "\(ToolchainClang.description) made no section for the case")
        #expect(!output.relocated.contains(testCase.id),
                "\(ToolchainClang.description) left a relocation: the source should use START")
        let actual = try testCase.stubAsmBytes()
        let identical = actual == expected
        #expect(identical, "\(ByteDifference(actual: actual, expected: expected))")
    }

    @Test func coversEveryMode() {
        let modes = Set(AllCases.list.map(\.mode))
        #expect(modes == Set(CodeMode.allCases))
        #expect(AllCases.list.count >= 3000)
    }
}

enum AllCases {
    static let list: [EncodingCase] = {
        var list = CaseList()
        list.moves()
        list.addressing()
        list.stack()
        list.arithmetic()
        list.shiftsAndBits()
        list.control()
        list.system()
        list.longMode()
        list.labelsAndData()
        return list.cases
    }()
}

// The families whose members share every form, so that one table covers them all.

enum ALU: String, CaseIterable {
    case add, or, adc, sbb, and, sub, xor, cmp
}

extension Assembler {
    mutating func alu<R: GPRegister>(_ op: ALU, _ dst: R, _ src: R) {
        switch op {
        case .add: add(dst, src)
        case .or: or(dst, src)
        case .adc: adc(dst, src)
        case .sbb: sbb(dst, src)
        case .and: and(dst, src)
        case .sub: sub(dst, src)
        case .xor: xor(dst, src)
        case .cmp: cmp(dst, src)
        }
    }

    mutating func alu<R: GPRegister>(_ op: ALU, _ dst: R, _ src: Imm) {
        switch op {
        case .add: add(dst, src)
        case .or: or(dst, src)
        case .adc: adc(dst, src)
        case .sbb: sbb(dst, src)
        case .and: and(dst, src)
        case .sub: sub(dst, src)
        case .xor: xor(dst, src)
        case .cmp: cmp(dst, src)
        }
    }

    mutating func alu<R: GPRegister>(_ op: ALU, _ dst: R, _ src: Memory) {
        switch op {
        case .add: add(dst, src)
        case .or: or(dst, src)
        case .adc: adc(dst, src)
        case .sbb: sbb(dst, src)
        case .and: and(dst, src)
        case .sub: sub(dst, src)
        case .xor: xor(dst, src)
        case .cmp: cmp(dst, src)
        }
    }

    mutating func alu<R: GPRegister>(_ op: ALU, _ dst: Memory, _ src: R) {
        switch op {
        case .add: add(dst, src)
        case .or: or(dst, src)
        case .adc: adc(dst, src)
        case .sbb: sbb(dst, src)
        case .and: and(dst, src)
        case .sub: sub(dst, src)
        case .xor: xor(dst, src)
        case .cmp: cmp(dst, src)
        }
    }

    mutating func alu(_ op: ALU, _ size: OperandSize, _ dst: Memory, _ src: Imm) {
        switch op {
        case .add: add(size, dst, src)
        case .or: or(size, dst, src)
        case .adc: adc(size, dst, src)
        case .sbb: sbb(size, dst, src)
        case .and: and(size, dst, src)
        case .sub: sub(size, dst, src)
        case .xor: xor(size, dst, src)
        case .cmp: cmp(size, dst, src)
        }
    }
}

enum Unary: String, CaseIterable {
    case inc, dec, not, neg, mul, imul, div, idiv
}

extension Assembler {
    mutating func unary<R: GPRegister>(_ op: Unary, _ operand: R) {
        switch op {
        case .inc: inc(operand)
        case .dec: dec(operand)
        case .not: not(operand)
        case .neg: neg(operand)
        case .mul: mul(operand)
        case .imul: imul(operand)
        case .div: div(operand)
        case .idiv: idiv(operand)
        }
    }

    mutating func unary(_ op: Unary, _ size: OperandSize, _ operand: Memory) {
        switch op {
        case .inc: inc(size, operand)
        case .dec: dec(size, operand)
        case .not: not(size, operand)
        case .neg: neg(size, operand)
        case .mul: mul(size, operand)
        case .imul: imul(size, operand)
        case .div: div(size, operand)
        case .idiv: idiv(size, operand)
        }
    }
}

enum Shift: String, CaseIterable {
    case rol, ror, shl, shr, sar
}

extension Assembler {
    mutating func shift<R: GPRegister>(_ op: Shift, _ dst: R, _ count: Imm) {
        switch op {
        case .rol: rol(dst, count)
        case .ror: ror(dst, count)
        case .shl: shl(dst, count)
        case .shr: shr(dst, count)
        case .sar: sar(dst, count)
        }
    }

    mutating func shift<R: GPRegister>(_ op: Shift, _ dst: R, _ count: Reg8) {
        switch op {
        case .rol: rol(dst, count)
        case .ror: ror(dst, count)
        case .shl: shl(dst, count)
        case .shr: shr(dst, count)
        case .sar: sar(dst, count)
        }
    }

    mutating func shift(_ op: Shift, _ size: OperandSize, _ dst: Memory, _ count: Imm) {
        switch op {
        case .rol: rol(size, dst, count)
        case .ror: ror(size, dst, count)
        case .shl: shl(size, dst, count)
        case .shr: shr(size, dst, count)
        case .sar: sar(size, dst, count)
        }
    }

    mutating func shift(_ op: Shift, _ size: OperandSize, _ dst: Memory, _ count: Reg8) {
        switch op {
        case .rol: rol(size, dst, count)
        case .ror: ror(size, dst, count)
        case .shl: shl(size, dst, count)
        case .shr: shr(size, dst, count)
        case .sar: sar(size, dst, count)
        }
    }
}

enum BitTest: String, CaseIterable {
    case bt, bts, btr, btc
}

extension Assembler {
    mutating func bitTest<R: GPRegister>(_ op: BitTest, _ dst: R, _ bit: R) {
        switch op {
        case .bt: bt(dst, bit)
        case .bts: bts(dst, bit)
        case .btr: btr(dst, bit)
        case .btc: btc(dst, bit)
        }
    }

    mutating func bitTest<R: GPRegister>(_ op: BitTest, _ dst: Memory, _ bit: R) {
        switch op {
        case .bt: bt(dst, bit)
        case .bts: bts(dst, bit)
        case .btr: btr(dst, bit)
        case .btc: btc(dst, bit)
        }
    }

    mutating func bitTest<R: GPRegister>(_ op: BitTest, _ dst: R, _ bit: Imm) {
        switch op {
        case .bt: bt(dst, bit)
        case .bts: bts(dst, bit)
        case .btr: btr(dst, bit)
        case .btc: btc(dst, bit)
        }
    }

    mutating func bitTest(_ op: BitTest, _ size: OperandSize, _ dst: Memory, _ bit: Imm) {
        switch op {
        case .bt: bt(size, dst, bit)
        case .bts: bts(size, dst, bit)
        case .btr: btr(size, dst, bit)
        case .btc: btc(size, dst, bit)
        }
    }
}

/// Conditions with the mnemonic suffix LLVM prints for them.
let conditions: [(String, Condition)] = [
    ("o", .o), ("no", .no), ("b", .b), ("ae", .ae), ("e", .e), ("ne", .ne), ("be", .be), ("a", .a),
    ("s", .s), ("ns", .ns), ("p", .p), ("np", .np), ("l", .l), ("ge", .ge), ("le", .le), ("g", .g),
    ("c", .c), ("nae", .nae), ("nb", .nb), ("nc", .nc), ("z", .z), ("nz", .nz), ("na", .na), ("nbe", .nbe),
    ("pe", .pe), ("po", .po), ("nge", .nge), ("nl", .nl), ("ng", .ng), ("nle", .nle),
]
