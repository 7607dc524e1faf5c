/// What sits in the boot sector before the setup header: an EFI PE header (MZ at 0, PE at e_lfanew) and, when a
/// Secure Boot signer processed the image, an Authenticode signature (certificate table, data directory 4).
public struct BootSector: Sendable, Equatable {
    /// File offset of "PE\0\0", when the image has an MZ/PE header.
    public var peOffset: Int?
    /// The certificate table (file offset, size) when the image is signed.
    public var signature: (offset: Int, size: Int)?
    public var isSigned: Bool { signature != nil }

    public static func == (a: BootSector, b: BootSector) -> Bool {
        a.peOffset == b.peOffset && a.signature?.offset == b.signature?.offset && a.signature?.size == b.signature?.size
    }

    /// Offsets in a PE32+ header, relative to "PE\0\0".
    static let checksumField = 24 + 64
    static let certificateDirectory = 24 + 112 + 4 * 8

    public init(image: UnsafeRawBufferPointer) {
        func u16(_ at: Int) -> Int { Int(UInt16(littleEndian: image.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
        func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: image.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
        guard image.count >= 0x40, u16(0) == 0x5A4D else { return }  // "MZ"
        let pe = u32(0x3C)
        guard pe >= 0x40, pe <= image.count - (Self.certificateDirectory + 8), u32(pe) == 0x4550 else { return }
        peOffset = pe
        guard u16(pe + 24) == 0x20B else { return }  // PE32+ optional header
        let offset = u32(pe + Self.certificateDirectory), size = u32(pe + Self.certificateDirectory + 4)
        if size > 0, offset <= image.count, size <= image.count - offset { signature = (offset, size) }
    }

    /// The byte ranges a signer rewrites (CheckSum and the certificate directory), to be read as zero when the
    /// image's CRC is checked.
    public var signerPatchedRanges: [Range<Int>] {
        guard let pe = peOffset, isSigned else { return [] }
        return [pe + Self.checksumField..<pe + Self.checksumField + 4,
                pe + Self.certificateDirectory..<pe + Self.certificateDirectory + 8]
    }
}
