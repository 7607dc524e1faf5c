/// The initrd as loaders hand it to an EFI-stub kernel today: LoadFile2 on the handle whose device path is
/// the Linux initrd vendor media node (systemd-boot, systemd-stub's UKIs, GRUB 2.12 and OVMF install it). No
/// such handle: no initrd from here (a loader may still have filled ramdisk_image itself, and the PE entry
/// then reads `initrd=` files, EFIFileInitrd).
enum EFIInitrd {
    /// The device path {MEDIA (4), VENDOR (3), length 20, LINUX_EFI_INITRD_MEDIA_GUID} {END (0x7F, 0xFF), 4}, as
    /// 32-bit words (no padding: the GUID follows the node's 4-byte head).
    static func devicePath() -> (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) {
        let guid = EFI.GUID.linuxInitrdMedia
        return (0x0014_0304, UInt32(truncatingIfNeeded: guid.low), UInt32(truncatingIfNeeded: guid.low >> 32),
                UInt32(truncatingIfNeeded: guid.high), UInt32(truncatingIfNeeded: guid.high >> 32), 0x0004_FF7F)
    }

    /// Loads the LoadFile2 initrd into boot_params' ramdisk fields; false when there is none to load (no such
    /// device path, or its LoadFile2 says not found).
    static func load(_ firmware: EFIFirmware, bootParams: UnsafeMutableRawPointer) throws(EFIBoot.Failure) -> Bool {
        var path = devicePath()
        var remaining: UInt64 = 0, handle: UInt64 = 0
        let located = withUnsafeMutablePointer(to: &path) { pathPointer in
            remaining = word(pathPointer)
            return firmware.withGUID(.devicePath) { guid in
                withUnsafeMutablePointer(to: &remaining) { r in
                    withUnsafeMutablePointer(to: &handle) { h in
                        firmware.service(EFI.BootServices.locateDevicePath, guid, word(r), word(h))
                    }
                }
            }
        }
        guard !EFI.StatusCode.isError(located),
              let loadFile2 = firmware.handleProtocol(handle, .loadFile2) else { return false }
        // LoadFile(This, FilePath, BootPolicy, BufferSize, Buffer): first the size, then the bytes.
        var size = 0
        let probe = withUnsafeMutablePointer(to: &size) {
            firmware.invoke(loadFile2, 0, remaining, 0, word($0))
        }
        guard probe == EFI.StatusCode.bufferTooSmall, size > 0 else {
            if probe == EFI.StatusCode.success { return true }  // empty
            if probe == EFI.StatusCode.notFound { return false }
            throw .initrd(probe)
        }
        let pages = pageCount(size)
        guard let address = allocate(firmware, pages: pages, bootParams: bootParams)
        else { throw .initrd(EFI.StatusCode.outOfResources) }
        let loaded = withUnsafeMutablePointer(to: &size) {
            firmware.invoke(loadFile2, 0, remaining, 0, word($0), address)
        }
        guard !EFI.StatusCode.isError(loaded) else {
            firmware.freePages(address, pages: pages)
            throw .initrd(loaded)
        }
        setRamdisk(bootParams, address: address, size: size)
        return true
    }

    static func pageCount(_ bytes: Int) -> Int { (bytes &+ EFI.pageSize &- 1) / EFI.pageSize }

    /// LoaderData pages for an initrd, below initrd_addr_max (4 GiB when the header gives none).
    static func allocate(_ firmware: EFIFirmware, pages: Int, bootParams: UnsafeRawPointer) -> UInt64? {
        let limit = UInt64(bootParams.loadUnaligned(fromByteOffset: ZeroPage.initrdAddrMax, as: UInt32.self))
        return firmware.allocatePages(EFI.AllocateType.maxAddress, EFI.MemoryType.loaderData, pages: pages,
                                      address: limit > 0 ? limit : EFIBoot.below4G)
    }

    /// ramdisk_image and ramdisk_size (+ ext).
    static func setRamdisk(_ bootParams: UnsafeMutableRawPointer, address: UInt64, size: Int) {
        EFIBoot.setAddress(address, in: bootParams, low: ZeroPage.ramdiskImage, high: ZeroPage.extRamdiskImage)
        EFIBoot.setAddress(UInt64(size), in: bootParams, low: ZeroPage.ramdiskSize, high: ZeroPage.extRamdiskSize)
    }
}

/// screen_info from the Graphics Output Protocol, as the kernel's stub fills it (`gop.c`): the framebuffer's
/// address, size, geometry and pixel layout, so the kernel's efifb console works. No GOP: left zero.
enum EFIGraphics {
    // EFI_GRAPHICS_OUTPUT_PROTOCOL.Mode, its Info, and Info's fields.
    static var mode: Int { 24 }
    static var modeInfo: Int { 8 }
    static var frameBufferBase: Int { 24 }
    static var frameBufferSize: Int { 32 }
    static var horizontal: Int { 4 }
    static var vertical: Int { 8 }
    static var pixelFormat: Int { 12 }
    static var pixelMasks: Int { 16 }
    static var pixelsPerScanLine: Int { 32 }
    static var bltOnly: UInt32 { 3 }

    static func fillScreenInfo(_ firmware: EFIFirmware, bootParams: UnsafeMutableRawPointer) {
        guard let gop = firmware.locateProtocol(.graphicsOutput),
              let mode = gop.loadUnaligned(fromByteOffset: Self.mode, as: UnsafeRawPointer?.self),
              let info = mode.loadUnaligned(fromByteOffset: modeInfo, as: UnsafeRawPointer?.self) else { return }
        let format = info.loadUnaligned(fromByteOffset: pixelFormat, as: UInt32.self)
        guard format != bltOnly else { return }
        let width = info.loadUnaligned(fromByteOffset: horizontal, as: UInt32.self)
        let height = info.loadUnaligned(fromByteOffset: vertical, as: UInt32.self)
        let stride = info.loadUnaligned(fromByteOffset: pixelsPerScanLine, as: UInt32.self)
        let base = mode.loadUnaligned(fromByteOffset: frameBufferBase, as: UInt64.self)
        // Sizes and positions of red, green, blue, reserved: RGBX, BGRX, or from the masks (format 2).
        var layout: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (8, 0, 8, 8, 8, 16, 8, 24)
        if format == 1 { layout = (8, 16, 8, 8, 8, 0, 8, 24) }
        if format == 2 {
            func field(_ i: Int) -> (UInt8, UInt8) {
                let mask = info.loadUnaligned(fromByteOffset: pixelMasks + 4 * i, as: UInt32.self)
                return mask == 0 ? (0, 0) : (UInt8(mask.nonzeroBitCount), UInt8(mask.trailingZeroBitCount))
            }
            let (r, g, b, x) = (field(0), field(1), field(2), field(3))
            layout = (r.0, r.1, g.0, g.1, b.0, b.1, x.0, x.1)
        }
        bootParams.storeBytes(of: ZeroPage.videoTypeEFI, toByteOffset: ZeroPage.origVideoIsVGA, as: UInt8.self)
        bootParams.storeBytes(of: UInt16(truncatingIfNeeded: width), toByteOffset: ZeroPage.lfbWidth, as: UInt16.self)
        bootParams.storeBytes(of: UInt16(truncatingIfNeeded: height), toByteOffset: ZeroPage.lfbHeight, as: UInt16.self)
        bootParams.storeBytes(of: UInt16(32), toByteOffset: ZeroPage.lfbDepth, as: UInt16.self)
        bootParams.storeBytes(of: UInt32(truncatingIfNeeded: base), toByteOffset: ZeroPage.lfbBase, as: UInt32.self)
        bootParams.storeBytes(of: stride &* 4 &* height, toByteOffset: ZeroPage.lfbSize, as: UInt32.self)
        bootParams.storeBytes(of: UInt16(truncatingIfNeeded: stride &* 4), toByteOffset: ZeroPage.lfbLineLength, as: UInt16.self)
        withUnsafeBytes(of: layout) {
            (bootParams + ZeroPage.colourSizesAndPositions).copyMemory(from: $0.baseAddress!, byteCount: 8)
        }
        bootParams.storeBytes(of: UInt16(1), toByteOffset: ZeroPage.pages, as: UInt16.self)
        // VIDEO_CAPABILITY_SKIP_QUIRKS, and 64BIT_BASE when the framebuffer lies above 4 GiB.
        let high = UInt32(truncatingIfNeeded: base >> 32)
        bootParams.storeBytes(of: high != 0 ? 3 : 1, toByteOffset: ZeroPage.capabilities, as: UInt32.self)
        bootParams.storeBytes(of: high, toByteOffset: ZeroPage.extLFBBase, as: UInt32.self)
    }
}
