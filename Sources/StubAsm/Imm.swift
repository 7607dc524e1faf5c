/// A position in the code, made by `Assembler.label(_:)` and placed by `Assembler.bind(_:)`. It may be used
/// before it is bound; every use is resolved by `Assembler.finish()`. A label belongs to the assembler that made it.
public struct Label: Hashable, Sendable {
    let id: Int

    /// The label's absolute address: the assembler's origin plus the label's offset.
    public var address: Imm { Imm(.offset(id)) + Imm(.origin) }
    /// The label's offset from the start of the assembler's output.
    public var offset: Imm { Imm(.offset(id)) }
}

/// An integer operand: a constant, or an expression over label offsets and the origin that `finish()` evaluates.
/// Immediates, displacements and data all take it, so a label's address can go wherever a number can:
/// `mov(.esp, stackTop.address)`, `dw(gdtEnd.offset - gdt.offset - 1)`, `dd((tss.address >> 16) & 0xFF)`.
///
/// Encoding choices depend only on whether the value mentions a label, never on the label's value: a constant
/// gets the shortest form (`imm8`, `disp8`), an expression with a label always the full-width one. That keeps the
/// output deterministic and every instruction's size known when it is emitted.
///
/// The value is an `Int64`; a field of n bits accepts anything from -2ⁿ⁻¹ to 2ⁿ-1 (either signedness) unless the
/// processor sign-extends it, as for `imm8` forms or a 64-bit operation's `imm32`.
public struct Imm: Sendable, ExpressibleByIntegerLiteral {
    indirect enum Node: Sendable {
        case constant(Int64)
        case offset(Int)
        case origin
        case complement(Node)
        case binary(Operator, Node, Node)
    }

    enum Operator: Sendable {
        case add, subtract, multiply, divide, remainder, and, or, xor, shiftLeft, shiftRight
    }

    let node: Node

    init(_ node: Node) { self.node = node }

    /// A constant; wider unsigned values keep their bit pattern (`Imm(UInt64.max)` is -1).
    public init(_ value: some BinaryInteger) { node = .constant(Int64(truncatingIfNeeded: value)) }

    public init(integerLiteral value: Int64) { node = .constant(value) }

    /// The value if it mentions no label (nor the origin, which only a label's address brings in).
    var constant: Int64? {
        if case .constant(let value) = node { return value }
        return nil
    }
}

extension Imm {
    public static func + (lhs: Imm, rhs: Imm) -> Imm { combine(.add, lhs, rhs) }
    public static func - (lhs: Imm, rhs: Imm) -> Imm { combine(.subtract, lhs, rhs) }
    public static func * (lhs: Imm, rhs: Imm) -> Imm { combine(.multiply, lhs, rhs) }
    public static func / (lhs: Imm, rhs: Imm) -> Imm { combine(.divide, lhs, rhs) }
    public static func % (lhs: Imm, rhs: Imm) -> Imm { combine(.remainder, lhs, rhs) }
    public static func & (lhs: Imm, rhs: Imm) -> Imm { combine(.and, lhs, rhs) }
    public static func | (lhs: Imm, rhs: Imm) -> Imm { combine(.or, lhs, rhs) }
    public static func ^ (lhs: Imm, rhs: Imm) -> Imm { combine(.xor, lhs, rhs) }
    public static func << (lhs: Imm, rhs: Imm) -> Imm { combine(.shiftLeft, lhs, rhs) }
    /// Arithmetic shift, as Swift's `>>` on `Int64`.
    public static func >> (lhs: Imm, rhs: Imm) -> Imm { combine(.shiftRight, lhs, rhs) }
    public static prefix func - (operand: Imm) -> Imm { 0 - operand }
    public static prefix func ~ (operand: Imm) -> Imm {
        operand.constant.map { Imm(~$0) } ?? Imm(.complement(operand.node))
    }

    /// Folds constants right away, so that `Imm(2) * 8` still counts as a constant for the encoding choice.
    private static func combine(_ op: Operator, _ lhs: Imm, _ rhs: Imm) -> Imm {
        if let l = lhs.constant, let r = rhs.constant, let folded = try? op.apply(l, r) {
            return Imm(.constant(folded))
        }
        return Imm(.binary(op, lhs.node, rhs.node))
    }
}

/// Why an expression has no value.
enum EvaluationError: Error {
    case undefinedLabel(Int)
    case divisionByZero
}

extension Imm.Node {
    /// The value, given where labels are bound (nil: not bound) and the origin.
    func evaluate(offset: (Int) -> Int?, origin: Int64) throws(EvaluationError) -> Int64 {
        switch self {
        case .constant(let value):
            return value
        case .offset(let id):
            guard let offset = offset(id) else { throw .undefinedLabel(id) }
            return Int64(offset)
        case .origin:
            return origin
        case .complement(let node):
            return ~(try node.evaluate(offset: offset, origin: origin))
        case .binary(let op, let lhs, let rhs):
            let l = try lhs.evaluate(offset: offset, origin: origin)
            let r = try rhs.evaluate(offset: offset, origin: origin)
            return try op.apply(l, r)
        }
    }

    /// The first label the expression mentions, for error messages.
    var firstLabel: Int? {
        switch self {
        case .constant, .origin: nil
        case .offset(let id): id
        case .complement(let node): node.firstLabel
        case .binary(_, let lhs, let rhs): lhs.firstLabel ?? rhs.firstLabel
        }
    }
}

extension Imm.Operator {
    /// Wrapping arithmetic, as an assembler's: addresses near the top of the address space must not trap.
    func apply(_ l: Int64, _ r: Int64) throws(EvaluationError) -> Int64 {
        switch self {
        case .add: return l &+ r
        case .subtract: return l &- r
        case .multiply: return l &* r
        case .divide, .remainder:
            guard r != 0 else { throw .divisionByZero }
            if l == .min && r == -1 { return self == .divide ? .min : 0 }
            return self == .divide ? l / r : l % r
        case .and: return l & r
        case .or: return l | r
        case .xor: return l ^ r
        case .shiftLeft: return r >= 64 || r < 0 ? 0 : l << r
        case .shiftRight: return r >= 64 || r < 0 ? (l < 0 ? -1 : 0) : l >> r
        }
    }
}
