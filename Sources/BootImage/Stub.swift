import StubCore

/// A freestanding boot stub built from Sources/StubCore by the StubBuilder plugin: one per payload format, each
/// with only that format's decoder linked.
public struct Stub: Sendable {
    /// The format it decodes (stub-embed read it from the stub's entry point, `stub_boot_<name>`); nil for the
    /// EFI stub.
    public let format: PayloadFormat?
    /// The stub's bytes (without its .bss).
    public let bytes: [UInt8]
    /// The stub's extent when running, .bss included.
    public let memorySize: Int
    /// Offsets of its C entry points (`stub_*`).
    public let entries: [String: Int]

    /// The stub that decodes `format`.
    public static func forFormat(_ format: PayloadFormat) -> Stub {
        guard let stub = all.first(where: { $0.format == format }) else {
            fatalError("no boot stub for \(format.name): the StubBuilder plugin built none (its format list lacks it)")
        }
        return stub
    }

    /// The EFI entry's stub (`stub_efi_main`, `stub_efi_handover`), the same for every format.
    public static let efi = Stub(format: nil, bytes: decodeBase64(StubBlob.efi.base64), memorySize: StubBlob.efi.memorySize,
                                 entries: StubBlob.efi.entries)

    /// The entry the boot code calls: `stub_boot_<format>`.
    public var bootEntry: Int {
        guard let format, let entry = entries["stub_boot_\(format.name)"] else {
            fatalError("the \(format?.name ?? "EFI") boot stub has no stub_boot_<format> entry")
        }
        return entry
    }

    /// Every stub the plugin built, by the format name stub-embed recorded (which it checked against
    /// PayloadFormat: a name that is not one is a build out of step with StubCore).
    static let all: [Stub] = StubBlob.stubs.map {
        guard let format = PayloadFormat(name: $0.name) else {
            fatalError("the StubBuilder plugin built a boot stub for \"\($0.name)\", which is no PayloadFormat")
        }
        return Stub(format: format, bytes: decodeBase64($0.base64), memorySize: $0.memorySize, entries: $0.entries)
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
