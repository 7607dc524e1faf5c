/// The freestanding boot stub built from Sources/StubCore by the StubBuilder plugin.
public enum Stub {
    /// The stub's bytes (without its .bss).
    public static let bytes: [UInt8] = decodeBase64(StubBlob.base64)
    /// The stub's extent when running, .bss included.
    public static var memorySize: Int { StubBlob.memorySize }
    /// Offsets of its C entry points (`stub_*`).
    public static var entries: [String: Int] { StubBlob.entries }

    static func decodeBase64(_ text: String) -> [UInt8] {
        var values = [UInt8](repeating: 0, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            values[Int(character)] = UInt8(index)
        }
        var out = [UInt8]()
        var accumulator: UInt32 = 0, bits = 0
        for character in text.utf8 where character != UInt8(ascii: "=") {
            accumulator = accumulator << 6 | UInt32(values[Int(character)])
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}
