/// An x86 assembler for our boot code (issue: StubAsm). For now, the processor modes it will encode for.
public enum CodeMode: Int, Sendable {
    case bits16 = 16, bits32 = 32, bits64 = 64
}
