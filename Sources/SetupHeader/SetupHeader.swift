/// The x86 boot protocol 2.15 setup header: every field at its offset and width (offsets are in the image and in
/// `boot_params`, 0x1F1 … 0x26B). Stored as the raw bytes so decoding and encoding are exact; typed accessors
/// for what the rest of the tool reads and writes.
public struct SetupHeader: Sendable, Equatable {
    /// The header's first offset.
    public static let start = 0x1F1
    /// One past the last 2.15 field.
    public static let end = 0x26C
    /// "HdrS"
    public static let magic: UInt32 = 0x5372_6448
    public static let bootFlag: UInt16 = 0xAA55
    /// The protocol our images declare: 2.15.
    public static let protocolVersion: UInt16 = 0x020F

    /// Every field of protocol 2.15, named as in the boot protocol documentation.
    public enum Field: String, CaseIterable, Sendable {
        case setup_sects, root_flags, syssize, ram_size, vid_mode, root_dev, boot_flag, jump, header, version
        case realmode_swtch, start_sys_seg, kernel_version, type_of_loader, loadflags, setup_move_size, code32_start
        case ramdisk_image, ramdisk_size, bootsect_kludge, heap_end_ptr, ext_loader_ver, ext_loader_type
        case cmd_line_ptr, initrd_addr_max, kernel_alignment, relocatable_kernel, min_alignment, xloadflags
        case cmdline_size, hardware_subarch, hardware_subarch_data, payload_offset, payload_length, setup_data
        case pref_address, init_size, handover_offset, kernel_info_offset

        public var offset: Int { Self.layout[self]!.offset }
        public var width: Int { Self.layout[self]!.width }

        /// The protocol version that introduced the field (older headers do not have it).
        public var since: UInt16 { Self.layout[self]!.since }

        private static let layout: [Field: (offset: Int, width: Int, since: UInt16)] = [
            .setup_sects: (0x1F1, 1, 0), .root_flags: (0x1F2, 2, 0), .syssize: (0x1F4, 4, 0x204), .ram_size: (0x1F8, 2, 0),
            .vid_mode: (0x1FA, 2, 0), .root_dev: (0x1FC, 2, 0), .boot_flag: (0x1FE, 2, 0), .jump: (0x200, 2, 0x200),
            .header: (0x202, 4, 0x200), .version: (0x206, 2, 0x200), .realmode_swtch: (0x208, 4, 0x200),
            .start_sys_seg: (0x20C, 2, 0x200), .kernel_version: (0x20E, 2, 0x200), .type_of_loader: (0x210, 1, 0x200),
            .loadflags: (0x211, 1, 0x200), .setup_move_size: (0x212, 2, 0x200), .code32_start: (0x214, 4, 0x200),
            .ramdisk_image: (0x218, 4, 0x200), .ramdisk_size: (0x21C, 4, 0x200), .bootsect_kludge: (0x220, 4, 0x200),
            .heap_end_ptr: (0x224, 2, 0x201), .ext_loader_ver: (0x226, 1, 0x202), .ext_loader_type: (0x227, 1, 0x202),
            .cmd_line_ptr: (0x228, 4, 0x202), .initrd_addr_max: (0x22C, 4, 0x203), .kernel_alignment: (0x230, 4, 0x205),
            .relocatable_kernel: (0x234, 1, 0x205), .min_alignment: (0x235, 1, 0x20A), .xloadflags: (0x236, 2, 0x20C),
            .cmdline_size: (0x238, 4, 0x206), .hardware_subarch: (0x23C, 4, 0x207),
            .hardware_subarch_data: (0x240, 8, 0x207), .payload_offset: (0x248, 4, 0x208),
            .payload_length: (0x24C, 4, 0x208), .setup_data: (0x250, 8, 0x209), .pref_address: (0x258, 8, 0x20A),
            .init_size: (0x260, 4, 0x20A), .handover_offset: (0x264, 4, 0x20B), .kernel_info_offset: (0x268, 4, 0x20F),
        ]
    }

    /// Bytes 0x1F1 ..< 0x26C of the image.
    public private(set) var bytes: [UInt8]

    /// A zeroed header.
    public init() { bytes = [UInt8](repeating: 0, count: Self.end - Self.start) }

    /// The header of an image (missing bytes of a short file read as zero; `BzImage` reports the shortness).
    public init(image: UnsafeRawBufferPointer) {
        self.init()
        let available = max(0, min(image.count, Self.end) - Self.start)
        for i in 0..<available { bytes[i] = image[Self.start + i] }
    }

    public subscript(field: Field) -> UInt64 {
        get {
            var value: UInt64 = 0
            for i in (0..<field.width).reversed() { value = value << 8 | UInt64(bytes[field.offset - Self.start + i]) }
            return value
        }
        set {
            precondition(field.width == 8 || newValue >> (8 * field.width) == 0, "\(field) is \(field.width) bytes")
            for i in 0..<field.width { bytes[field.offset - Self.start + i] = UInt8(truncatingIfNeeded: newValue >> (8 * i)) }
        }
    }

    /// Writes the header into an image buffer at its offsets.
    public func encode(into image: inout [UInt8]) {
        precondition(image.count >= Self.end)
        image.replaceSubrange(Self.start..<Self.end, with: bytes)
    }

    // Typed views of the fields the tool reasons about.
    public var version: UInt16 { UInt16(self[.version]) }
    public var hasMagic: Bool { self[.header] == UInt64(Self.magic) }
    public var loadFlags: LoadFlags { LoadFlags(rawValue: UInt8(self[.loadflags])) }
    public var xLoadFlags: XLoadFlags { XLoadFlags(rawValue: UInt16(self[.xloadflags])) }
    /// Setup sectors after the boot sector; 0 means 4 to old loaders.
    public var setupSectors: Int { self[.setup_sects] == 0 ? 4 : Int(self[.setup_sects]) }
    /// Where the protected-mode image starts in the file.
    public var setupSize: Int { (setupSectors + 1) * 512 }
    /// End of the header the image declares: 0x202 + the jump's displacement byte.
    public var declaredHeaderEnd: Int { 0x202 + Int(bytes[0x201 - Self.start]) }
}

/// `loadflags` (0x211).
public struct LoadFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The protected-mode code is loaded at 0x100000.
    public static let loadedHigh = LoadFlags(rawValue: 0x01)
    /// Set by the decompressor when it randomised the kernel's address.
    public static let kaslr = LoadFlags(rawValue: 0x02)
    public static let quiet = LoadFlags(rawValue: 0x20)
    public static let keepSegments = LoadFlags(rawValue: 0x40)
    /// heap_end_ptr is valid.
    public static let canUseHeap = LoadFlags(rawValue: 0x80)

    public static let names: [(LoadFlags, String)] = [
        (.loadedHigh, "LOADED_HIGH"), (.kaslr, "KASLR_FLAG"), (.quiet, "QUIET_FLAG"),
        (.keepSegments, "KEEP_SEGMENTS"), (.canUseHeap, "CAN_USE_HEAP"),
    ]
}

/// `xloadflags` (0x236).
public struct XLoadFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The 64-bit entry at +0x200 works.
    public static let kernel64 = XLoadFlags(rawValue: 0x01)
    public static let canBeLoadedAbove4G = XLoadFlags(rawValue: 0x02)
    public static let efiHandover32 = XLoadFlags(rawValue: 0x04)
    public static let efiHandover64 = XLoadFlags(rawValue: 0x08)
    public static let efiKexec = XLoadFlags(rawValue: 0x10)
    public static let fiveLevel = XLoadFlags(rawValue: 0x20)
    public static let fiveLevelEnabled = XLoadFlags(rawValue: 0x40)
    public static let memEncryption = XLoadFlags(rawValue: 0x80)

    public static let names: [(XLoadFlags, String)] = [
        (.kernel64, "XLF_KERNEL_64"), (.canBeLoadedAbove4G, "XLF_CAN_BE_LOADED_ABOVE_4G"),
        (.efiHandover32, "XLF_EFI_HANDOVER_32"), (.efiHandover64, "XLF_EFI_HANDOVER_64"),
        (.efiKexec, "XLF_EFI_KEXEC"), (.fiveLevel, "XLF_5LEVEL"), (.fiveLevelEnabled, "XLF_5LEVEL_ENABLED"),
        (.memEncryption, "XLF_MEM_ENCRYPTION"),
    ]
}

/// Names of the bits set in a flag value; unknown bits as hex.
func flagNames<F: OptionSet>(_ value: F, _ names: [(F, String)]) -> [String] where F.RawValue: FixedWidthInteger, F.Element == F {
    var rest = value.rawValue
    var out = [String]()
    for (bit, name) in names where value.contains(bit) {
        out.append(name)
        rest &= ~bit.rawValue
    }
    if rest != 0 { out.append("0x" + String(rest, radix: 16)) }
    return out
}

extension LoadFlags {
    /// The set bits by their boot-protocol names.
    public var names: [String] { flagNames(self, Self.names) }
}

extension XLoadFlags {
    public var names: [String] { flagNames(self, Self.names) }
}
