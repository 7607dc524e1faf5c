/// Why the stub refused to start the kernel. `stub_boot` returns `−1 − rawValue`; the entry code prints the
/// matching message (BootImage keeps the texts) and halts. Contiguous so the entry code can index a table.
public enum BootFailure: Int, Sendable {
    /// The payload's CRC-32 differs from the one recorded in the image: damaged in storage or transfer.
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
