/// Offsets in `struct boot_params` (the zero page) that the stub writes when it is the loader (the EFI entry),
/// as in the kernel's `bootparam.h`. Computed constants: they fold away in the freestanding stub.
public enum ZeroPage {
    public static var size: Int { 0x1000 }
    // screen_info
    public static var origVideoIsVGA: Int { 0x0F }
    public static var lfbWidth: Int { 0x12 }
    public static var lfbHeight: Int { 0x14 }
    public static var lfbDepth: Int { 0x16 }
    public static var lfbBase: Int { 0x18 }
    public static var lfbSize: Int { 0x1C }
    public static var lfbLineLength: Int { 0x24 }
    public static var colourSizesAndPositions: Int { 0x26 }
    public static var pages: Int { 0x32 }
    public static var capabilities: Int { 0x36 }
    public static var extLFBBase: Int { 0x3A }
    // the rest
    public static var extRamdiskImage: Int { 0x0C0 }
    public static var extRamdiskSize: Int { 0x0C4 }
    public static var extCmdLinePtr: Int { 0x0C8 }
    public static var efiInfo: Int { 0x1C0 }
    public static var altMemK: Int { 0x1E0 }
    public static var e820Entries: Int { 0x1E8 }
    public static var secureBoot: Int { 0x1EC }
    public static var setupHeader: Int { 0x1F1 }
    public static var typeOfLoader: Int { 0x210 }
    public static var ramdiskImage: Int { 0x218 }
    public static var ramdiskSize: Int { 0x21C }
    public static var cmdLinePtr: Int { 0x228 }
    public static var initrdAddrMax: Int { 0x22C }
    public static var kernelAlignment: Int { 0x230 }
    public static var setupData: Int { 0x250 }
    public static var prefAddress: Int { 0x258 }
    public static var initSize: Int { 0x260 }
    public static var e820Table: Int { 0x2D0 }

    /// type_of_loader of the kernel's own EFI stub.
    public static var efiStubLoader: UInt8 { 0x21 }
    /// efi_info's loader signature, "EL64".
    public static var efiLoaderSignature64: UInt32 { 0x3436_4C45 }
    /// screen_info.orig_video_isVGA for an EFI framebuffer (VIDEO_TYPE_EFI).
    public static var videoTypeEFI: UInt8 { 0x70 }
}
