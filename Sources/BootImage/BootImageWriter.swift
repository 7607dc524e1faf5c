import SetupHeader
import StubAsm
import StubCore

/// Everything the image needs to know about the kernel and its payload.
public struct KernelImageInput: Sendable {
    /// The compressed payload as the kernel's build makes it (container + size trailer).
    public var payload: [UInt8]
    public var format: PayloadFormat
    /// Decompressed size: stripped vmlinux + relocation table (`z_output_len`).
    public var outputLength: Int
    /// `VO__end − VO__text`: the kernel's extent in memory, bss and brk included.
    public var kernelSize: UInt64
    /// `LOAD_PHYSICAL_ADDR` (the first PT_LOAD's p_paddr) and `CONFIG_PHYSICAL_ALIGN`.
    public var loadAddress: UInt64
    public var alignment: UInt64
    /// The relocation table has the 6.1–6.14 inverse-32 run.
    public var inverseTable: Bool
    /// "6.1.0-53-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP …" from the banner.
    public var kernelVersion: String
    /// The relocation table has entries (the kernel was linked for KASLR): the boot code picks a random virtual
    /// base unless the command line says `nokaslr`.
    public var randomizable: Bool
    /// Write a PE/COFF image with our EFI entry (UEFI loaders run it as an EFI application).
    public var efi: Bool
    /// The `.sbat` section's contents (shim's SBAT CSV, as the kernel's CONFIG_EFI_SBAT_FILE), for an EFI image.
    public var sbat: [UInt8]?

    public init(payload: [UInt8], format: PayloadFormat, outputLength: Int, kernelSize: UInt64, loadAddress: UInt64,
                alignment: UInt64, inverseTable: Bool, kernelVersion: String, randomizable: Bool = false,
                efi: Bool = false, sbat: [UInt8]? = nil) {
        self.payload = payload
        self.format = format
        self.outputLength = outputLength
        self.kernelSize = kernelSize
        self.loadAddress = loadAddress
        self.alignment = alignment
        self.inverseTable = inverseTable
        self.kernelVersion = kernelVersion
        self.randomizable = randomizable
        self.efi = efi
        self.sbat = sbat
    }

    /// KASLR's virtual slots, as the kernel's choose_random_location counts them: kernel_alignment steps from
    /// LOAD_PHYSICAL_ADDR that keep the kernel (at least its decompressed size, 2 MiB-aligned) inside the 1 GiB
    /// KERNEL_IMAGE_SIZE. 0: no randomisation.
    public var virtualSlots: Int {
        let kernelImageSize: UInt64 = 1 << 30
        let needed = (max(UInt64(outputLength), kernelSize) + 0x1F_FFFF) & ~0x1F_FFFF
        guard randomizable, alignment > 0, loadAddress + needed <= kernelImageSize else { return 0 }
        return Int(1 + (kernelImageSize - loadAddress - needed) / alignment)
    }
}

public enum BootImageError: Error, CustomStringConvertible {
    case assembler(AssemblerError)
    case setupTooLarge(Int)

    public var description: String {
        switch self {
        case .assembler(let error): return "internal error assembling the boot code: \(error)"
        case .setupTooLarge(let size): return "internal error: setup code of \(size) bytes overlaps boot_params"
        }
    }
}

/// Writes a complete bzImage: setup sectors, protected-mode image, CRC-32; every header field from our layout
/// with the kernel's formulas.
public enum BootImageWriter {
    public static func build(_ input: KernelImageInput) throws(BootImageError) -> [UInt8] {
        try assemble(input).bytes
    }

    /// The image and a map of its boot code.
    public static func assemble(_ input: KernelImageInput) throws(BootImageError) -> BuiltImage {
        let setup: (bytes: [UInt8], versionOffset: Int)
        let image: ProtectedModeImage
        do {
            setup = try RealModeSetup.assemble(kernelVersion: input.kernelVersion)
            image = try ProtectedModeImage.assemble(.init(payload: input.payload, format: input.format,
                                                          outputLength: input.outputLength,
                                                          loadAddress: input.loadAddress,
                                                          alignment: input.alignment,
                                                          virtualSlots: input.virtualSlots,
                                                          inverseTable: input.inverseTable, efi: input.efi,
                                                          sbat: input.sbat))
        } catch {
            throw .assembler(error)
        }
        // Setup padded to 4 KiB (at least 5 sectors), as the kernel's build pads it.
        let setupSize = max(5 * 512, (setup.bytes.count + 4095) / 4096 * 4096)
        guard setupSize <= RealModeSetup.bootParams else { throw .setupTooLarge(setup.bytes.count) }
        var bytes = setup.bytes + [UInt8](repeating: 0, count: setupSize - setup.bytes.count)

        let initSize = InitSize(zoEnd: UInt64(image.end), zoHeadEnd: UInt64(image.headEnd),
                                inputLength: UInt64(input.payload.count), outputLength: UInt64(input.outputLength),
                                kernelSize: input.kernelSize)
        var h = SetupHeader()
        h[.setup_sects] = UInt64(setupSize / 512 - 1)
        h[.root_flags] = 1
        h[.syssize] = UInt64(image.bytes.count / 16)
        h[.vid_mode] = 0xFFFF
        h[.boot_flag] = UInt64(SetupHeader.bootFlag)
        h[.jump] = 0xEB | UInt64(SetupHeader.end - SetupHeader.Field.header.offset) << 8  // jmp short past the header
        h[.header] = UInt64(SetupHeader.magic)
        h[.version] = UInt64(SetupHeader.protocolVersion)
        h[.kernel_version] = UInt64(setup.versionOffset - SetupHeader.Field.jump.offset)  // counted from 0x200
        h[.loadflags] = UInt64(LoadFlags.loadedHigh.rawValue)
        h[.setup_move_size] = 0x8000
        h[.code32_start] = 0x10_0000
        h[.initrd_addr_max] = 0x7FFF_FFFF
        h[.kernel_alignment] = input.alignment
        h[.relocatable_kernel] = 1
        h[.min_alignment] = UInt64(input.alignment.trailingZeroBitCount)
        // startup_64 at 0x200 works anywhere the loader puts the image, with its identity map.
        var xloadflags: XLoadFlags = [.kernel64, .canBeLoadedAbove4G]
        if input.efi { xloadflags.insert(.efiHandover64) }
        h[.xloadflags] = UInt64(xloadflags.rawValue)
        h[.cmdline_size] = 2047
        h[.payload_offset] = UInt64(image.payloadOffset)
        h[.payload_length] = UInt64(input.payload.count)
        h[.pref_address] = input.loadAddress
        h[.init_size] = initSize.value
        h[.kernel_info_offset] = UInt64(image.kernelInfoOffset)
        if let efi = image.efi { h[.handover_offset] = UInt64(efi.handover - ProtectedModeImage.startup64Offset) }
        h.encode(into: &bytes)
        var protectedMode = image.bytes
        if let efi = image.efi {
            protectedMode.replaceSubrange(efi.header..<efi.header + SetupHeader.end - SetupHeader.start, with: h.bytes)
            let pe = PEImage.header(setupSize: setupSize, image: image, entry: efi.entry, sbat: efi.sbat)
            bytes.replaceSubrange(0..<pe.tableEnd, with: repeatElement(0, count: pe.tableEnd))  // no DOS program
            pe.encode(into: &bytes)
        }

        bytes += protectedMode
        let crc = bytes.dropLast(4).withUnsafeBytes { CRC32.bzImage($0) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange(bytes.count - 4..<bytes.count, with: $0) }
        return BuiltImage(bytes: bytes, setupSize: setupSize, symbols: image.symbols)
    }
}

/// A bzImage as written, with where things are in it.
public struct BuiltImage: Sendable {
    public var bytes: [UInt8]
    /// Setup sectors, boot sector included: the protected-mode image starts here in the file.
    public var setupSize: Int
    /// The boot code's named places as offsets into the protected-mode image (as the kernel's zoffset.h gives
    /// them): where it runs from is the load address, and after the move the end of the init_size buffer − _end.
    public var symbols: [(name: String, offset: Int)]

    /// `System.map`-style text: one "offset name" line per symbol.
    public var map: String {
        symbols.map { String(repeating: "0", count: max(0, 16 - String($0.offset, radix: 16).count))
            + String($0.offset, radix: 16) + " " + $0.name + "\n" }.joined()
    }
}

/// The PE/COFF view of an image built for UEFI, as loaders, shim and the signing tools want it: the setup as the
/// headers (SizeOfHeaders = the setup's 4 KiB), then the sections in file order, gap-free, VA = file offset —
/// `.text` (r-x): the protected-mode image's file bytes, `.sbat` (r--, only with `--sbat`): its last pages, the
/// SBAT CSV that shim checks in an image it loads itself, `.data` (rw-): its bss, no raw data, up to `_end`.
/// No relocations (edk2 loads it anywhere; the code is position-independent), NX_COMPAT, image version 1.0
/// (initrd through LoadFile2).
enum PEImage {
    static func header(setupSize: Int, image: ProtectedModeImage, entry: Int, sbat: Int?) -> PEHeader {
        var pe = PEHeader()
        let fileBytes = UInt32(image.bytes.count), bss = UInt32(image.end - image.bytes.count), base = UInt32(setupSize)
        let text = sbat.map { UInt32($0) } ?? fileBytes, sbatSize = fileBytes - text
        pe.sizeOfHeaders = base
        pe.sizeOfCode = text
        pe.sizeOfInitializedData = sbatSize
        pe.entryPoint = base + UInt32(entry)
        pe.baseOfCode = base
        pe.majorImageVersion = 1
        pe.sizeOfImage = base + UInt32(image.end)
        pe.dllCharacteristics = .nxCompat
        pe.sections = [
            .init(name: ".text", virtualSize: text, virtualAddress: base, rawSize: text, rawOffset: base,
                  flags: [.code, .execute, .read]),
            .init(name: ".data", virtualSize: bss, virtualAddress: base + fileBytes, rawSize: 0, rawOffset: 0,
                  flags: [.uninitializedData, .read, .write]),
        ]
        if sbatSize > 0 {
            // Its pages end at _edata with the CRC trailer after the CSV's NULs: shim reads up to the first NUL.
            pe.sections.insert(.init(name: ".sbat", virtualSize: sbatSize, virtualAddress: base + text, rawSize: sbatSize,
                                     rawOffset: base + text, flags: [.initializedData, .read]), at: 1)
        }
        return pe
    }
}
