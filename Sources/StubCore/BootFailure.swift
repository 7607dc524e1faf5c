/// Why the stub refused to start the kernel. `stub_boot` returns `−1 − rawValue`; the entry code prints the
/// matching `message` (the image carries them as a table) and halts. Contiguous so the entry code can index it.
public enum BootFailure: Int, Sendable {
    /// The payload's XXH64 (`PayloadCheck`) differs from the one recorded in the image: damaged in storage or
    /// transfer.
    case payloadDamaged = 0
    /// The image's parameters name another format than this stub decodes.
    case wrongFormat
    // The decoder's checks (DecodeError, in its order).
    case truncated, badHeader, badOffset, outputOverflow, sizeMismatch, checksum
    // Placing and relocating the kernel (KernelPlacement.Failure, in its order).
    case notELF, badSegment, relocationOutside, badTable

    public static let count = 12

    public init(_ error: DecodeError) {
        switch error {
        case .truncated: self = .truncated
        case .badHeader: self = .badHeader
        case .badOffset: self = .badOffset
        case .outputOverflow: self = .outputOverflow
        case .sizeMismatch: self = .sizeMismatch
        case .checksum: self = .checksum
        }
    }

    public init(_ failure: KernelPlacement.Failure) {
        switch failure {
        case .notELF: self = .notELF
        case .badSegment: self = .badSegment
        case .relocationOutside: self = .relocationOutside
        case .badTable: self = .badTable
        }
    }

    /// The status `stub_boot` returns for this failure.
    public var status: Int { -1 - rawValue }

    /// The failure a negative status stands for.
    public init?(status: Int) {
        guard status < 0, let failure = BootFailure(rawValue: -1 - status) else { return nil }
        self = failure
    }
}

#if !STUB_FREESTANDING
// Host only (the image writer puts the texts into the image; the stub returns just the status): interpolation
// allocates.
extension BootFailure {
    /// What the boot code prints, on serial and VGA, when the stub returns this failure: one line.
    public var message: String {
        let problem: String
        switch self {
        case .payloadDamaged: problem = "the kernel payload is damaged (its XXH64 does not match the image's)"
        case .wrongFormat: problem = "the boot stub does not decode this payload's format (a mixed-up image)"
        case .truncated: problem = "the kernel payload is damaged or could not be unpacked: the data ends early"
        case .badHeader: problem = "the kernel payload is damaged or could not be unpacked: bad header"
        case .badOffset: problem = "the kernel payload is damaged or could not be unpacked: a match points before the output"
        case .outputOverflow: problem = "the kernel payload is damaged or could not be unpacked: it unpacks larger than recorded"
        case .sizeMismatch: problem = "the kernel payload is damaged or could not be unpacked: it unpacks smaller than recorded"
        case .checksum: problem = "the kernel payload is damaged or could not be unpacked: its checksum does not match"
        case .notELF: problem = "the unpacked kernel is not an ELF64 x86-64 executable"
        case .badSegment: problem = "the unpacked kernel has a segment outside the memory reserved for it"
        case .relocationOutside: problem = "the kernel's relocation table points outside the kernel"
        case .badTable: problem = "the kernel's relocation table is malformed"
        }
        return "mkbzimage: \(problem); halting\r\n"
    }
}
#endif
