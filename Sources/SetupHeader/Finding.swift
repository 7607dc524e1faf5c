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
    // Consumers of the PE/COFF header (../shared/docs/efi-stub.md §2.4, §6).
    /// The firmware's LoadImage (edk2's BasePeCoffLib), which OVMF `-kernel`, systemd-boot and GRUB 2.12 use.
    case ovmfLoadImage = "OVMF LoadImage"
    /// GRUB 2.12's `linux` on EFI: LoadImage for an image version ≥ 1.
    case grubEFI = "GRUB 2.12 EFI"
    /// systemd-stub's own PE loader (sections copied, code mapped RO+X).
    case systemdStub = "systemd-stub ≥ 258"
    /// Every systemd-stub, where it takes the EFI handover entry (image version 0).
    case systemdStubHandover = "systemd-stub (handover)"
    /// shim loading or verifying the image.
    case shim = "shim"
    /// The Authenticode signers (and the firmware that checks what they signed).
    case sbsign = "sbsign/pesign"

    /// Everything that reads the boot protocol's setup header: what an image without one fails for all of.
    public static let setupHeaderReaders: [Loader] = [.qemu, .ovmf, .grub, .grubEFI64, .kexec, .kexecFile, .firecracker,
                                                      .xen, .tools]
    /// Everything that loads the image as an EFI application through its PE header.
    public static let peLoaders: [Loader] = [.ovmfLoadImage, .grubEFI, .systemdStub, .shim]
}
