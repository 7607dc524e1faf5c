import StubCore

/// A bzImage read the way a careful boot loader reads it: the setup sectors, the protected-mode image, the
/// payload inside it, the CRC trailer and any signature after it. Reading never traps; every inconsistency
/// becomes a `Finding`. Nothing is decompressed.
public struct BzImage: Sendable {
    public private(set) var size = 0
    public private(set) var header = SetupHeader()
    public private(set) var bootSector = BootSector(image: UnsafeRawBufferPointer(start: nil, count: 0))
    /// The PE/COFF header of an EFI-bootable image.
    public private(set) var pe: PEHeader? = nil
    /// File offset of the protected-mode image (`(setup_sects + 1) × 512`).
    public private(set) var setupSize = 0
    /// The protected-mode image's length by the header (`syssize × 16`).
    public private(set) var protectedModeSize = 0
    /// File range of the payload, when it lies inside the file.
    public private(set) var payloadRange: Range<Int>? = nil
    /// The format recognised by the container's magic at the start of the payload.
    public private(set) var payloadFormat: PayloadFormat? = nil
    /// Its name ("gzip", "lz4", …).
    public var compression: String? { payloadFormat?.name }
    /// The decompressed size the payload declares (its last 4 bytes: size trailer or gzip's ISIZE).
    public private(set) var uncompressedSize: Int? = nil
    public private(set) var kernelVersion: String? = nil
    public private(set) var kernelInfo: KernelInfo? = nil
    /// The stored and the computed CRC-32 of the image (signer-patched fields read as zero).
    public private(set) var crc: (stored: UInt32, computed: UInt32)? = nil
    public private(set) var findings: [Finding] = []

    public var crcMatches: Bool { crc.map { $0.stored == $0.computed } ?? false }

    public init(image: UnsafeRawBufferPointer) {
        size = image.count
        header = SetupHeader(image: image)
        bootSector = BootSector(image: image)
        pe = PEHeader(parsing: image)
        var findings = [Finding]()
        let h = header
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: image.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }

        setupSize = h.setupSize
        protectedModeSize = Int(h[.syssize]) * 16

        // What every loader checks first.
        guard image.count >= 1024 else {
            findings.append(.init(.error, "file is \(image.count) bytes: too short for a boot sector and setup header",
                                  refusedBy: Loader.setupHeaderReaders))
            self.findings = findings
            return
        }
        guard h.hasMagic else {
            findings.append(.init(.error, "no \"HdrS\" at 0x202: not a bzImage (boot protocol ≥ 2.00)",
                                  refusedBy: Loader.setupHeaderReaders))
            self.findings = findings
            return
        }
        if h[.boot_flag] != UInt64(SetupHeader.bootFlag) {
            findings.append(.init(.error, "boot_flag is 0x\(String(h[.boot_flag], radix: 16)), not 0xaa55",
                                  refusedBy: [.ovmf, .grub, .kexec, .kexecFile]))
        }
        let version = h.version
        var refusedByVersion: [Loader] = []
        if version < 0x20C { refusedByVersion += [.kexec, .kexecFile, .firecracker, .grubEFI64] }
        if version < 0x208 { refusedByVersion.append(.xen) }
        if version < 0x205 { refusedByVersion.append(.ovmf) }
        if version < 0x203 { refusedByVersion.append(.grub) }
        if !refusedByVersion.isEmpty {
            findings.append(.init(.warning, "boot protocol \(version >> 8).\(String(format2: version & 0xFF)) is old",
                                  refusedBy: refusedByVersion))
        }
        if h.declaredHeaderEnd < min(SetupHeader.end, 0x202 + 4) {
            findings.append(.init(.warning, "the jump at 0x200 declares a header ending at 0x\(String(h.declaredHeaderEnd, radix: 16))"))
        } else if version >= 0x20F && h.declaredHeaderEnd < SetupHeader.end {
            findings.append(.init(.warning, "protocol 2.15 header but the jump at 0x200 ends it at 0x\(String(h.declaredHeaderEnd, radix: 16)) (< 0x26c): loaders copy only that much"))
        }
        if h[.setup_sects] == 0 {
            findings.append(.init(.warning, "setup_sects is 0, which loaders read as 4"))
        }
        if h[.setup_sects] > 64 {
            findings.append(.init(.error, "setup_sects \(h[.setup_sects]) is over 64", refusedBy: [.grub]))
        }
        if setupSize > image.count {
            findings.append(.init(.error, "setup (\(setupSize) bytes) is larger than the file", refusedBy: Loader.setupHeaderReaders))
        }

        // The protected-mode image and what follows it.
        let imageEnd = setupSize + protectedModeSize
        if protectedModeSize == 0 {
            findings.append(.init(.error, "syssize is 0: no protected-mode image", refusedBy: Loader.setupHeaderReaders))
        } else if imageEnd > image.count {
            findings.append(.init(.error, "setup + syssize×16 = \(imageEnd) bytes, but the file has \(image.count): truncated",
                                  refusedBy: Loader.setupHeaderReaders))
        } else if imageEnd < image.count {
            let extra = image.count - imageEnd
            if let signature = bootSector.signature, signature.offset >= imageEnd, signature.offset + signature.size == image.count {
                findings.append(.init(.note, "signed: \(signature.size)-byte Authenticode signature after the image"))
            } else {
                findings.append(.init(.warning, "\(extra) bytes after setup + syssize×16 (\(imageEnd))"))
            }
        }

        // CRC-32 over the image less its last 4 bytes, with the fields a signer rewrites read as zero.
        var crc: (UInt32, UInt32)? = nil
        if protectedModeSize >= 4, imageEnd <= image.count {
            var computed: UInt32 = 0xFFFF_FFFF
            var position = 0
            for range in bootSector.signerPatchedRanges.filter({ $0.upperBound <= imageEnd - 4 }) + [imageEnd - 4..<imageEnd - 4] {
                computed = CRC32.bzImage(UnsafeRawBufferPointer(rebasing: image[position..<range.lowerBound]), seed: computed)
                computed = CRC32.bzImage([UInt8](repeating: 0, count: range.count).withUnsafeBytes { $0 }, seed: computed)
                position = range.upperBound
            }
            crc = (u32(imageEnd - 4), computed)
            if crc!.0 != crc!.1 {
                findings.append(.init(.warning, "CRC-32 mismatch: stored 0x\(String(crc!.0, radix: 16)), computed 0x\(String(crc!.1, radix: 16)) — the image was modified or damaged"))
            }
        }
        self.crc = crc

        // The payload.
        var payloadRange: Range<Int>? = nil
        var payloadFormat: PayloadFormat? = nil
        var uncompressedSize: Int? = nil
        if version >= 0x208 {
            let offset = Int(h[.payload_offset]), length = Int(h[.payload_length])
            let start = setupSize + offset
            if length == 0 {
                findings.append(.init(.warning, "payload_length is 0", refusedBy: [.xen]))
            } else if offset + length > protectedModeSize || start + length > image.count {
                findings.append(.init(.error, "payload (offset 0x\(String(offset, radix: 16)), \(length) bytes) runs past the protected-mode image",
                                      refusedBy: [.xen]))
            } else {
                payloadRange = start..<start + length
                payloadFormat = PayloadFormat(detecting: UnsafeRawBufferPointer(rebasing: image[start..<start + length]))
                uncompressedSize = length >= 4 ? Int(u32(start + length - 4)) : nil
                if payloadFormat == nil {
                    findings.append(.init(.warning, "payload has no known compression magic", refusedBy: [.xen]))
                }
            }
        }
        self.payloadRange = payloadRange
        self.payloadFormat = payloadFormat
        self.uncompressedSize = uncompressedSize

        // kernel_version string, read by ukify, file(1), mkinitcpio.
        var kernelVersion: String? = nil
        if h[.kernel_version] != 0 {
            let start = 0x200 + Int(h[.kernel_version])
            if start < min(setupSize, image.count), let end = image[start..<min(setupSize, image.count)].firstIndex(of: 0) {
                kernelVersion = String(decoding: image[start..<end], as: UTF8.self)
            } else {
                findings.append(.init(.warning, "kernel_version points outside the setup sectors", refusedBy: [.tools]))
            }
        } else {
            findings.append(.init(.note, "no kernel_version string", refusedBy: [.tools]))
        }
        self.kernelVersion = kernelVersion

        // kernel_info (2.15).
        var kernelInfo: KernelInfo? = nil
        if version >= 0x20F {
            kernelInfo = KernelInfo(image: image, offset: setupSize + Int(h[.kernel_info_offset]))
            if kernelInfo == nil { findings.append(.init(.warning, "kernel_info_offset does not point at \"LToP\"")) }
        }
        self.kernelInfo = kernelInfo

        // Loading rules.
        let loadFlags = h.loadFlags, x = h.xLoadFlags
        if !loadFlags.contains(.loadedHigh) {
            findings.append(.init(.error, "LOADED_HIGH is not set: a zImage, not a bzImage",
                                  refusedBy: [.grub, .kexec, .kexecFile, .firecracker]))
        }
        if version >= 0x20C && !x.contains([.kernel64, .canBeLoadedAbove4G]) {
            findings.append(.init(.warning, "xloadflags lacks XLF_KERNEL_64|XLF_CAN_BE_LOADED_ABOVE_4G: no 64-bit entry",
                                  refusedBy: [.kexec, .kexecFile, .grubEFI64]))
        }
        if version >= 0x205 {
            if h[.relocatable_kernel] == 0 {
                findings.append(.init(.warning, "not relocatable", refusedBy: [.ovmf]))
            }
            let alignment = h[.kernel_alignment]
            if alignment == 0 || alignment & (alignment - 1) != 0 {
                findings.append(.init(.error, "kernel_alignment 0x\(String(alignment, radix: 16)) is not a power of two",
                                      refusedBy: [.grub, .kexec, .ovmf]))
            } else if version >= 0x20A {
                if h[.min_alignment] > 63 || (UInt64(1) << h[.min_alignment]) > alignment {
                    findings.append(.init(.warning, "min_alignment 2^\(h[.min_alignment]) exceeds kernel_alignment"))
                }
                if h[.pref_address] % alignment != 0 {
                    findings.append(.init(.warning, "pref_address 0x\(String(h[.pref_address], radix: 16)) is not kernel_alignment-aligned"))
                }
            }
        }
        if version >= 0x20A {
            let initSize = Int(h[.init_size])
            if initSize < protectedModeSize {
                findings.append(.init(.error, "init_size 0x\(String(initSize, radix: 16)) is smaller than the protected-mode image",
                                      refusedBy: [.grub, .kexec, .kexecFile, .ovmf]))
            } else if let length = payloadRange?.count, let output = uncompressedSize {
                // The in-place rule: the decompressor moved up by at least the extract offset must fit.
                let rule = InitSize(zoEnd: 0, zoHeadEnd: 0, inputLength: UInt64(length), outputLength: UInt64(output), kernelSize: 0)
                if UInt64(initSize) < rule.minimumExtractOffset + UInt64(protectedModeSize) {
                    findings.append(.init(.error, "init_size 0x\(String(initSize, radix: 16)) leaves no room to decompress in place (needs ≥ 0x\(String(rule.minimumExtractOffset + UInt64(protectedModeSize), radix: 16)))",
                                          refusedBy: [.qemu, .grub, .kexec, .kexecFile, .ovmf]))
                }
            }
        }
        if (x.contains(.efiHandover32) || x.contains(.efiHandover64)) && h[.handover_offset] == 0 {
            findings.append(.init(.warning, "EFI handover flags set but handover_offset is 0", refusedBy: [.ovmf]))
        }
        if bootSector.peOffset != nil {
            findings.append(.init(.note, "MZ/PE header present: UEFI firmware runs the image as an EFI application"))
            let handover = x.contains(.efiHandover64) && h[.handover_offset] != 0
            findings += pe?.findings(fileSize: image.count, handoverEntry: handover) ?? [PEHeader.malformed]
        }
        self.findings = findings
    }
}

extension String {
    /// Two-digit decimal ("02").
    init(format2 value: UInt16) { self = value < 10 ? "0\(value)" : "\(value)" }
}
