import StubCore

/// A freestanding boot stub built from Sources/StubCore by the StubBuilder plugin: one per payload format, each
/// with only that format's decoder linked.
public struct Stub: Sendable {
    /// The stub's bytes (without its .bss).
    public let bytes: [UInt8]
    /// The stub's extent when running, .bss included.
    public let memorySize: Int
    /// Offsets of its C entry points (`stub_*`).
    public let entries: [String: Int]

    /// The stub that decodes `format`.
    public static func forFormat(_ format: PayloadFormat) -> Stub { all[format.rawValue] }

    /// The EFI entry's stub (`stub_efi_main`), the same for every format.
    public static var efi: Stub { all.first { $0.entries["stub_efi_main"] != nil }! }

    /// The entry the boot code calls: `stub_boot_<format>`.
    public var bootEntry: Int { entries.first { $0.key.hasPrefix("stub_boot_") }!.value }

    static let all: [Stub] = StubBlob.stubs.map {
        Stub(bytes: decodeBase64($0.base64), memorySize: $0.memorySize, entries: $0.entries)
    }

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
