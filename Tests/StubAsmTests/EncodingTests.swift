import StubAsm
import Testing

@Suite struct StubAsmPlaceholderTests {
    @Test func modesAreTheirBitWidths() {
        #expect(CodeMode.bits16.rawValue == 16 && CodeMode.bits64.rawValue == 64)
    }
}
