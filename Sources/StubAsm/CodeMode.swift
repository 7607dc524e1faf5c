/// The processor mode code is assembled for. It decides the default operand and address sizes, and so which
/// operands need the 0x66/0x67 prefixes or REX. Boot code switches it mid-stream (`assembler.mode = .bits32`).
public enum CodeMode: Int, Sendable, CaseIterable {
    case bits16 = 16, bits32 = 32, bits64 = 64

    /// The address size an instruction gets without a 0x67 prefix.
    var addressSize: OperandSize {
        switch self {
        case .bits16: .word
        case .bits32: .dword
        case .bits64: .qword
        }
    }

    /// The width of `push`, `pop` and near branches without a prefix.
    var stackSize: OperandSize { addressSize }
}

/// The width of an operand. Spelled out where the operands alone do not tell it, as for an immediate stored to
/// memory: `mov(.dword, .mem(.ebx), 1)` is Intel's `mov dword ptr [ebx], 1`.
public enum OperandSize: Int, Sendable, CaseIterable {
    case byte = 8, word = 16, dword = 32, qword = 64

    public var bytes: Int { rawValue / 8 }
}
