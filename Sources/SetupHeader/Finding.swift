/// Something a careful loader would notice about an image.
public struct Finding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable, Comparable {
        case note, warning, error
        public static func < (a: Severity, b: Severity) -> Bool {
            let order: [Severity] = [.note, .warning, .error]
            return order.firstIndex(of: a)! < order.firstIndex(of: b)!
        }
    }

    public var severity: Severity
    public var message: String
    /// Loaders that refuse the image (or boot it wrongly) because of this.
    public var loaders: [Loader]

    public init(_ severity: Severity, _ message: String, refusedBy loaders: [Loader] = []) {
        self.severity = severity
        self.message = message
        self.loaders = loaders
    }

    public var description: String {
        let who = loaders.isEmpty ? "" : " — refused by: " + loaders.map(\.rawValue).joined(separator: ", ")
        return "\(severity.rawValue): \(message)\(who)"
    }
}

/// The loaders and VMMs whose requirements the reader checks (../shared/docs/loaders.md).
public enum Loader: String, Sendable, CaseIterable {
    case qemu = "QEMU -kernel"
    case ovmf = "OVMF -kernel"
    case grub = "GRUB linux"
    case grubEFI64 = "GRUB 2.12 EFI (64-bit entry)"
    case kexec = "kexec-tools"
    case kexecFile = "kexec_file_load"
    case firecracker = "Firecracker/OpenVMM"
    case xen = "Xen/u-root"
    case tools = "ukify/file/mkinitcpio"
}
