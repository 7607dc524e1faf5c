/// Why `Assembler.finish()` produced no code. `at` is the offset of the instruction or directive concerned.
public enum AssemblerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A label used but never bound (or made by another assembler).
    case undefinedLabel(String, at: Int)
    /// A label bound a second time.
    case labelBoundTwice(String, at: Int)
    /// A relative jump, call or RIP-relative operand whose target is `distance` bytes away, beyond what its
    /// `bits`-bit displacement reaches (a `.short` jump, `loop`, `rel16`).
    case jumpOutOfRange(distance: Int64, bits: Int, at: Int)
    /// A value that does not fit its `bits`-bit field.
    case valueOutOfRange(Int64, bits: Int, at: Int)
    /// Operands the instruction has no encoding for in the mode, such as `rax` in 32-bit mode, `ah` with `r8b`,
    /// `[esp*2]` or `pop cs`.
    case invalidOperands(String, reason: String, mode: CodeMode, at: Int)
    /// An expression that cannot be evaluated (a division by zero), or a directive's bad argument.
    case invalidExpression(String, at: Int)

    public var description: String {
        switch self {
        case .undefinedLabel(let name, let at):
            "label \(name) used at offset \(at) is never bound"
        case .labelBoundTwice(let name, let at):
            "label \(name) bound again at offset \(at)"
        case .jumpOutOfRange(let distance, let bits, let at):
            "target \(distance) bytes away is out of range of the \(bits)-bit displacement at offset \(at)"
        case .valueOutOfRange(let value, let bits, let at):
            "value \(value) does not fit in \(bits) bits at offset \(at)"
        case .invalidOperands(let instruction, let reason, let mode, let at):
            "\(instruction) at offset \(at) in \(mode.rawValue)-bit mode: \(reason)"
        case .invalidExpression(let reason, let at):
            "\(reason) at offset \(at)"
        }
    }
}
