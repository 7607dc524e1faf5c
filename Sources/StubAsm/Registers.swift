/// A general-purpose register of one width. The four widths are distinct types, so an instruction whose operands
/// must agree in width takes them as one generic `R` and a mix such as `mov(.eax, .bx)` does not compile.
/// Registers are named by static members (`.eax`, `.r8b`), found through the protocol as well as the type.
public protocol GPRegister: Hashable, Sendable, CustomStringConvertible {
    static var size: OperandSize { get }
    /// The register's number in ModRM, SIB or the opcode, 0–15; bit 3 goes to REX.
    var number: UInt8 { get }
}

extension GPRegister {
    public var size: OperandSize { Self.size }
}

/// An 8-bit register. `ah`…`bh` share numbers 4–7 with `spl`…`dil`: which one is meant depends on whether the
/// instruction has a REX prefix, so `ah`…`bh` cannot appear in one that needs REX.
public struct Reg8: GPRegister, CaseIterable {
    public static let size = OperandSize.byte
    public let number: UInt8
    public let isHighByte: Bool

    init(_ number: UInt8, high: Bool = false) {
        self.number = number
        self.isHighByte = high
    }

    public static let allCases: [Reg8] = (0..<16).map { Reg8($0) } + (4..<8).map { Reg8($0, high: true) }

    public var description: String {
        isHighByte ? ["ah", "ch", "dh", "bh"][Int(number) - 4] : Self.names[Int(number)]
    }

    static let names = [
        "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
        "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
    ]
}

/// A 16-bit register.
public struct Reg16: GPRegister, CaseIterable {
    public static let size = OperandSize.word
    public let number: UInt8

    init(_ number: UInt8) { self.number = number }

    public static let allCases: [Reg16] = (0..<16).map { Reg16($0) }
    public var description: String { Self.names[Int(number)] }
    static let names = [
        "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
        "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
    ]
}

/// A 32-bit register.
public struct Reg32: GPRegister, CaseIterable {
    public static let size = OperandSize.dword
    public let number: UInt8

    init(_ number: UInt8) { self.number = number }

    public static let allCases: [Reg32] = (0..<16).map { Reg32($0) }
    public var description: String { Self.names[Int(number)] }
    static let names = [
        "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
        "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
    ]
}

/// A 64-bit register; only in 64-bit mode.
public struct Reg64: GPRegister, CaseIterable {
    public static let size = OperandSize.qword
    public let number: UInt8

    init(_ number: UInt8) { self.number = number }

    public static let allCases: [Reg64] = (0..<16).map { Reg64($0) }
    public var description: String { Self.names[Int(number)] }
    static let names = [
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    ]
}

extension GPRegister where Self == Reg8 {
    public static var al: Reg8 { Reg8(0) }
    public static var cl: Reg8 { Reg8(1) }
    public static var dl: Reg8 { Reg8(2) }
    public static var bl: Reg8 { Reg8(3) }
    public static var spl: Reg8 { Reg8(4) }
    public static var bpl: Reg8 { Reg8(5) }
    public static var sil: Reg8 { Reg8(6) }
    public static var dil: Reg8 { Reg8(7) }
    public static var r8b: Reg8 { Reg8(8) }
    public static var r9b: Reg8 { Reg8(9) }
    public static var r10b: Reg8 { Reg8(10) }
    public static var r11b: Reg8 { Reg8(11) }
    public static var r12b: Reg8 { Reg8(12) }
    public static var r13b: Reg8 { Reg8(13) }
    public static var r14b: Reg8 { Reg8(14) }
    public static var r15b: Reg8 { Reg8(15) }
    public static var ah: Reg8 { Reg8(4, high: true) }
    public static var ch: Reg8 { Reg8(5, high: true) }
    public static var dh: Reg8 { Reg8(6, high: true) }
    public static var bh: Reg8 { Reg8(7, high: true) }
}

extension GPRegister where Self == Reg16 {
    public static var ax: Reg16 { Reg16(0) }
    public static var cx: Reg16 { Reg16(1) }
    public static var dx: Reg16 { Reg16(2) }
    public static var bx: Reg16 { Reg16(3) }
    public static var sp: Reg16 { Reg16(4) }
    public static var bp: Reg16 { Reg16(5) }
    public static var si: Reg16 { Reg16(6) }
    public static var di: Reg16 { Reg16(7) }
    public static var r8w: Reg16 { Reg16(8) }
    public static var r9w: Reg16 { Reg16(9) }
    public static var r10w: Reg16 { Reg16(10) }
    public static var r11w: Reg16 { Reg16(11) }
    public static var r12w: Reg16 { Reg16(12) }
    public static var r13w: Reg16 { Reg16(13) }
    public static var r14w: Reg16 { Reg16(14) }
    public static var r15w: Reg16 { Reg16(15) }
}

extension GPRegister where Self == Reg32 {
    public static var eax: Reg32 { Reg32(0) }
    public static var ecx: Reg32 { Reg32(1) }
    public static var edx: Reg32 { Reg32(2) }
    public static var ebx: Reg32 { Reg32(3) }
    public static var esp: Reg32 { Reg32(4) }
    public static var ebp: Reg32 { Reg32(5) }
    public static var esi: Reg32 { Reg32(6) }
    public static var edi: Reg32 { Reg32(7) }
    public static var r8d: Reg32 { Reg32(8) }
    public static var r9d: Reg32 { Reg32(9) }
    public static var r10d: Reg32 { Reg32(10) }
    public static var r11d: Reg32 { Reg32(11) }
    public static var r12d: Reg32 { Reg32(12) }
    public static var r13d: Reg32 { Reg32(13) }
    public static var r14d: Reg32 { Reg32(14) }
    public static var r15d: Reg32 { Reg32(15) }
}

extension GPRegister where Self == Reg64 {
    public static var rax: Reg64 { Reg64(0) }
    public static var rcx: Reg64 { Reg64(1) }
    public static var rdx: Reg64 { Reg64(2) }
    public static var rbx: Reg64 { Reg64(3) }
    public static var rsp: Reg64 { Reg64(4) }
    public static var rbp: Reg64 { Reg64(5) }
    public static var rsi: Reg64 { Reg64(6) }
    public static var rdi: Reg64 { Reg64(7) }
    public static var r8: Reg64 { Reg64(8) }
    public static var r9: Reg64 { Reg64(9) }
    public static var r10: Reg64 { Reg64(10) }
    public static var r11: Reg64 { Reg64(11) }
    public static var r12: Reg64 { Reg64(12) }
    public static var r13: Reg64 { Reg64(13) }
    public static var r14: Reg64 { Reg64(14) }
    public static var r15: Reg64 { Reg64(15) }
}

/// A segment register, numbered as in ModRM.
public enum SegmentReg: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case es, cs, ss, ds, fs, gs

    public var description: String { ["es", "cs", "ss", "ds", "fs", "gs"][Int(rawValue)] }

    /// The segment-override prefix.
    var overridePrefix: UInt8 { [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65][Int(rawValue)] }
}

/// A control register, numbered as in ModRM (CR8 needs REX.R, so only exists in 64-bit mode).
public enum ControlReg: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case cr0 = 0, cr2 = 2, cr3 = 3, cr4 = 4, cr8 = 8

    public var description: String { "cr\(rawValue)" }
}
