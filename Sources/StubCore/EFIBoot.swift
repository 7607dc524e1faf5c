/// What the image tells the EFI entry about itself: seven 8-byte little-endian fields in this order, laid out by
/// the boot code next to the PE entry. Offsets are from the protected-mode image's start in memory (the headers
/// may not be in memory: systemd-stub ≥ 258 loads sections only), so nothing needs patching at run time; the
/// rest (init_size, kernel_alignment, pref_address) is read from the image's copy of its setup header, the
/// payload's digest from the stub's parameter block.
public struct EFIParameters: Sendable {
    public static var size: Int { 56 }
    /// Bytes of the protected-mode image to copy: `_edata`.
    public var imageLength: Int
    /// The image's own setup header (0x1F1 …), carried in its data.
    public var headerOffset: Int
    public var headerLength: Int
    /// startup_64's offset in the protected-mode image.
    public var entryOffset: Int
    /// The payload as stored, and the `BootParameters` block that holds its digest: checked before
    /// ExitBootServices, while a damaged image can still return to the firmware with a message.
    public var payloadOffset: Int
    public var payloadLength: Int
    public var stubParametersOffset: Int

    public init(imageLength: Int, headerOffset: Int, headerLength: Int, entryOffset: Int, payloadOffset: Int,
                payloadLength: Int, stubParametersOffset: Int) {
        self.imageLength = imageLength
        self.headerOffset = headerOffset
        self.headerLength = headerLength
        self.entryOffset = entryOffset
        self.payloadOffset = payloadOffset
        self.payloadLength = payloadLength
        self.stubParametersOffset = stubParametersOffset
    }

    public init(reading raw: UnsafeRawPointer) {
        func field(_ i: Int) -> Int { raw.loadUnaligned(fromByteOffset: 8 &* i, as: Int.self) }
        self.init(imageLength: field(0), headerOffset: field(1), headerLength: field(2), entryOffset: field(3),
                  payloadOffset: field(4), payloadLength: field(5), stubParametersOffset: field(6))
    }
}

/// The kernel buffer's needs, from the image's own copy of its setup header (at `header`, i.e. 0x1F1).
struct KernelBufferNeeds {
    var initSize: Int, alignment: UInt64, loadAddress: UInt64

    init(header: UnsafeRawPointer) {
        let zeroPage = header - ZeroPage.setupHeader
        initSize = Int(zeroPage.loadUnaligned(fromByteOffset: ZeroPage.initSize, as: UInt32.self))
        let alignment = UInt64(zeroPage.loadUnaligned(fromByteOffset: ZeroPage.kernelAlignment, as: UInt32.self))
        self.alignment = alignment.nonzeroBitCount == 1 ? alignment : 0x20_0000
        loadAddress = zeroPage.loadUnaligned(fromByteOffset: ZeroPage.prefAddress, as: UInt64.self)
    }
}

/// The EFI entry's work before the kernel's decompression, as a loader's: boot_params from the image's own header,
/// the command line from LoadedImage, the initrd through LoadFile2 (or from `initrd=` files), screen_info from GOP, an init_size buffer at
/// a kernel_alignment boundary holding a copy of the protected-mode image, then the memory map, efi_info, E820
/// and ExitBootServices. The boot code then enters the copy's startup_64 with RSI = boot_params: from there the
/// boot is the one every other entry takes (the move, the stub's decoder, KASLR's virtual part, the kernel).
public enum EFIBoot {
    /// Where the boot goes on: boot_params and the 64-bit entry of the copy.
    public struct Handoff: Equatable {
        public var bootParams: UInt64
        public var entry: UInt64
    }

    public enum Failure: Error, Equatable {
        case noLoadedImage, noMemoryForBootParams, noMemoryForCommandLine, initrd(EFI.Status), noMemoryForKernel
        case initrdFileNotFound(EFI.Status), initrdFileRead(EFI.Status), memoryMap(EFI.Status), exitBootServices(EFI.Status)
        case payloadDamaged

        /// What the firmware console shows before the entry returns to the firmware.
        public var message: StaticString {
            switch self {
            case .noLoadedImage: return "mkbzimage: the firmware gives no EFI_LOADED_IMAGE_PROTOCOL for this image\n"
            case .noMemoryForBootParams: return "mkbzimage: no memory below 4 GiB for boot_params\n"
            case .noMemoryForCommandLine: return "mkbzimage: no memory below 4 GiB for the command line\n"
            case .initrd: return "mkbzimage: loading the initrd through LoadFile2 failed\n"
            case .initrdFileNotFound: return "mkbzimage: an initrd= file is not on the image's own file system\n"
            case .initrdFileRead: return "mkbzimage: reading an initrd= file into memory failed\n"
            case .noMemoryForKernel: return "mkbzimage: no memory for the kernel's init_size buffer\n"
            case .memoryMap: return "mkbzimage: GetMemoryMap failed\n"
            case .exitBootServices: return "mkbzimage: ExitBootServices failed twice\n"
            case .payloadDamaged: return "mkbzimage: the kernel payload is damaged (its XXH64 does not match the image's)\n"
            }
        }

        public var status: EFI.Status {
            switch self {
            case .noLoadedImage: return EFI.StatusCode.loadError
            case .payloadDamaged: return EFI.StatusCode.volumeCorrupted
            case .noMemoryForBootParams, .noMemoryForCommandLine, .noMemoryForKernel: return EFI.StatusCode.outOfResources
            case .initrd(let status), .initrdFileNotFound(let status), .initrdFileRead(let status), .memoryMap(let status),
                 .exitBootServices(let status): return status
            }
        }
    }

    static var below4G: UInt64 { 0xFFFF_FFFF }
    /// COMMAND_LINE_SIZE: cmdline_size + 1.
    static var commandLineLimit: Int { 2048 }

    /// The PE entry's sequence: a loader started the image as an EFI application. `image` is the
    /// protected-mode image in memory.
    public static func run(_ firmware: EFIFirmware, image: UnsafeRawPointer, parameters p: EFIParameters,
                           seed: UInt64 = 0) throws(Failure) -> Handoff
    {
        try checkPayload(image: image, parameters: p)
        guard let loaded = firmware.handleProtocol(firmware.imageHandle, .loadedImage) else { throw .noLoadedImage }
        let bootParams = try makeBootParams(firmware, header: image + p.headerOffset, headerLength: p.headerLength)
        try commandLine(firmware, loaded: loaded, bootParams: bootParams)
        return try finish(firmware, image: image, parameters: p, bootParams: bootParams, seed: seed, loaded: loaded)
    }

    /// The EFI handover protocol's sequence (GRUB's `linuxefi`): the loader built boot_params from the header
    /// and filled the command line and its initrd; LoadedImage is not consulted. A LoadFile2 initrd, where one
    /// is offered, supersedes the loader's, as with the kernel's stub.
    public static func handover(_ firmware: EFIFirmware, image: UnsafeRawPointer, parameters p: EFIParameters,
                                bootParams: UnsafeMutableRawPointer, seed: UInt64 = 0) throws(Failure) -> Handoff
    {
        try checkPayload(image: image, parameters: p)
        return try finish(firmware, image: image, parameters: p, bootParams: bootParams, seed: seed)
    }

    /// What both entries do once boot_params holds the command line: initrd, screen_info, the buffer and the
    /// image's copy in it, the memory map and ExitBootServices. The initrd, unless the command line says
    /// `noinitrd`: LoadFile2's, else (PE entry: `loaded` is LoadedImage) the `initrd=` files.
    static func finish(_ firmware: EFIFirmware, image: UnsafeRawPointer, parameters p: EFIParameters,
                       bootParams: UnsafeMutableRawPointer, seed: UInt64, loaded: UnsafeRawPointer? = nil)
        throws(Failure) -> Handoff
    {
        if !EFICommandLine.has(bootParams, "noinitrd"), try !EFIInitrd.load(firmware, bootParams: bootParams),
           let loaded {
            try EFIFileInitrd.load(firmware, loaded: loaded, bootParams: bootParams)
        }
        EFIGraphics.fillScreenInfo(firmware, bootParams: bootParams)
        if bootParams.load(fromByteOffset: ZeroPage.secureBoot, as: UInt8.self) == 0 {  // unless the loader said
            bootParams.storeBytes(of: EFISecureBoot.mode(firmware), toByteOffset: ZeroPage.secureBoot, as: UInt8.self)
        }
        let needs = KernelBufferNeeds(header: image + p.headerOffset)
        let buffer: UInt64
        if let random = EFIPhysicalKASLR.place(firmware, needs, bootParams: bootParams, seed: seed) {
            buffer = random
        } else {
            buffer = try kernelBuffer(firmware, needs)
        }
        UnsafeMutableRawPointer(bitPattern: UInt(buffer))!.copyMemory(from: image, byteCount: p.imageLength)
        try exitBootServices(firmware, bootParams: bootParams)
        return Handoff(bootParams: word(bootParams), entry: buffer &+ UInt64(p.entryOffset))
    }

    /// The digest the stub checks again after the move, checked here first: past ExitBootServices a damaged
    /// payload could only halt, here the firmware gets the image back and shows its menu.
    static func checkPayload(image: UnsafeRawPointer, parameters p: EFIParameters) throws(Failure) {
        let payload = UnsafeRawBufferPointer(start: image + p.payloadOffset, count: p.payloadLength)
        let recorded = BootParameters(reading: image + p.stubParametersOffset).payloadDigest
        guard PayloadCheck.digest(payload) == recorded else { throw .payloadDamaged }
    }

    /// A zeroed page below 4 GiB (cmd_line_ptr and the 32-bit fields reach it), the image's setup header at
    /// 0x1F1, type_of_loader as the kernel's own stub sets it.
    static func makeBootParams(_ firmware: EFIFirmware, header: UnsafeRawPointer, headerLength: Int)
        throws(Failure) -> UnsafeMutableRawPointer
    {
        guard let address = firmware.allocatePages(EFI.AllocateType.maxAddress, EFI.MemoryType.loaderData, pages: 1,
                                                   address: below4G),
              let page = UnsafeMutableRawPointer(bitPattern: UInt(address)) else { throw .noMemoryForBootParams }
        page.initializeMemory(as: UInt8.self, repeating: 0, count: ZeroPage.size)
        (page + ZeroPage.setupHeader).copyMemory(from: header, byteCount: min(headerLength, ZeroPage.size - ZeroPage.setupHeader))
        page.storeBytes(of: ZeroPage.efiStubLoader, toByteOffset: ZeroPage.typeOfLoader, as: UInt8.self)
        return page
    }

    /// LoadOptions (UCS-2) → a UTF-8 command line in its own page below 4 GiB → cmd_line_ptr (+ ext).
    static func commandLine(_ firmware: EFIFirmware, loaded: UnsafeRawPointer, bootParams: UnsafeMutableRawPointer)
        throws(Failure)
    {
        guard let address = firmware.allocatePages(EFI.AllocateType.maxAddress, EFI.MemoryType.loaderData, pages: 1,
                                                   address: below4G),
              let line = UnsafeMutableRawPointer(bitPattern: UInt(address)) else { throw .noMemoryForCommandLine }
        let size = Int(loaded.loadUnaligned(fromByteOffset: EFI.LoadedImage.loadOptionsSize, as: UInt32.self))
        let options = loaded.loadUnaligned(fromByteOffset: EFI.LoadedImage.loadOptions, as: UnsafeRawPointer?.self)
        _ = EFICommandLine.convert(options, optionsSize: size, into: line, limit: commandLineLimit)
        setAddress(address, in: bootParams, low: ZeroPage.cmdLinePtr, high: ZeroPage.extCmdLinePtr)
    }

    /// When no slot could be had from the memory map: init_size bytes at a kernel_alignment boundary, at least
    /// LOAD_PHYSICAL_ADDR (the 64-bit entry decompresses from there): pref_address when it is free, else wherever
    /// the firmware has room, aligned inside a larger allocation. EfiLoaderCode: the kernel runs from it.
    static func kernelBuffer(_ firmware: EFIFirmware, _ p: KernelBufferNeeds) throws(Failure) -> UInt64 {
        let pages = (p.initSize &+ EFI.pageSize &- 1) / EFI.pageSize
        if let address = firmware.allocatePages(EFI.AllocateType.address, EFI.MemoryType.loaderCode, pages: pages,
                                                address: p.loadAddress) {
            return address
        }
        let slack = Int(p.alignment) / EFI.pageSize
        guard let address = firmware.allocatePages(EFI.AllocateType.anyPages, EFI.MemoryType.loaderCode,
                                                   pages: pages &+ slack, address: 0) else { throw .noMemoryForKernel }
        let aligned = (address &+ p.alignment &- 1) & ~(p.alignment &- 1)
        guard aligned >= p.loadAddress else {
            firmware.freePages(address, pages: pages &+ slack)
            throw .noMemoryForKernel
        }
        return aligned
    }

    /// The final memory map into a pool buffer with room to spare, efi_info, E820, ExitBootServices; once more
    /// with a fresh map if the key went stale (nothing else may be called in between). When the map could give
    /// more E820 entries than boot_params holds, a SETUP_E820_EXT node for the rest is allocated first, sized
    /// from the map buffer's room, as the kernel's stub does (`allocate_e820`): after the final GetMemoryMap
    /// nothing may be allocated.
    static func exitBootServices(_ firmware: EFIFirmware, bootParams: UnsafeMutableRawPointer) throws(Failure) {
        var map = EFIMemoryMapBuffer()
        try map.allocate(firmware)
        let extensionRoom = map.room &- EFIMemoryMap.E820.maxEntries
        var e820Extension: UnsafeMutableRawPointer?
        if extensionRoom > 0 {
            e820Extension = firmware.allocatePool(EFI.MemoryType.loaderData,
                                                  bytes: EFIMemoryMap.E820.extensionHeader &+ extensionRoom &* EFIMemoryMap.E820.entrySize)
            guard e820Extension != nil else { throw .memoryMap(EFI.StatusCode.outOfResources) }
        }
        for attempt in 0..<2 {
            let status = map.read(firmware)
            guard !EFI.StatusCode.isError(status) else { throw .memoryMap(status) }
            map.fillEFIInfo(bootParams, systemTable: firmware.systemTable)
            let exit = firmware.service(EFI.BootServices.exitBootServices, firmware.imageHandle, map.key)
            if !EFI.StatusCode.isError(exit) { break }
            if attempt == 1 || exit != EFI.StatusCode.invalidParameter { throw .exitBootServices(exit) }
        }
        _ = EFIMemoryMap.writeE820(map: map.buffer, count: map.count, descriptorSize: map.descriptorSize,
                                   bootParams: bootParams, extension: e820Extension, extensionRoom: extensionRoom)
    }

    /// Stores a 64-bit address as the 32-bit field at `low` and the upper half at `high`.
    static func setAddress(_ address: UInt64, in bootParams: UnsafeMutableRawPointer, low: Int, high: Int) {
        bootParams.storeBytes(of: UInt32(truncatingIfNeeded: address), toByteOffset: low, as: UInt32.self)
        bootParams.storeBytes(of: UInt32(truncatingIfNeeded: address >> 32), toByteOffset: high, as: UInt32.self)
    }
}

/// The memory map's buffer and what GetMemoryMap said of it.
struct EFIMemoryMapBuffer {
    var buffer = UnsafeMutableRawPointer(bitPattern: 8)!
    var capacity = 0, size = 0, key: UInt64 = 0, descriptorSize = 0
    var version: UInt32 = 0
    var count: Int { descriptorSize > 0 ? size / descriptorSize : 0 }

    /// A pool buffer for the map plus 32 descriptors' slack (allocating it adds descriptors itself).
    mutating func allocate(_ firmware: EFIFirmware) throws(EFIBoot.Failure) {
        var needed = 0, key: UInt64 = 0, stride = 0
        var version: UInt32 = 0
        let status = withUnsafeMutablePointer(to: &needed) { n in
            withUnsafeMutablePointer(to: &key) { k in
                withUnsafeMutablePointer(to: &stride) { s in
                    withUnsafeMutablePointer(to: &version) { v in
                        firmware.service(EFI.BootServices.getMemoryMap, word(n), 0, word(k), word(s), word(v))
                    }
                }
            }
        }
        guard status == EFI.StatusCode.bufferTooSmall, stride >= EFI.MemoryDescriptor.minimumSize else {
            throw .memoryMap(status)
        }
        capacity = needed &+ 32 &* stride
        descriptorSize = stride
        guard let memory = firmware.allocatePool(EFI.MemoryType.loaderData, bytes: capacity) else {
            throw .memoryMap(EFI.StatusCode.outOfResources)
        }
        buffer = memory
    }

    /// How many descriptors the buffer holds at most: merged, no more E820 entries than that.
    var room: Int { capacity / descriptorSize }

    mutating func read(_ firmware: EFIFirmware) -> EFI.Status {
        size = capacity
        return withUnsafeMutablePointer(to: &size) { n in
            withUnsafeMutablePointer(to: &key) { k in
                withUnsafeMutablePointer(to: &descriptorSize) { s in
                    withUnsafeMutablePointer(to: &version) { v in
                        firmware.service(EFI.BootServices.getMemoryMap, word(n), word(buffer), word(k), word(s), word(v))
                    }
                }
            }
        }
    }

    /// efi_info (boot_params 0x1C0): "EL64", the system table and the map, each address split in two halves.
    func fillEFIInfo(_ bootParams: UnsafeMutableRawPointer, systemTable: UnsafeRawPointer) {
        let info = bootParams + ZeroPage.efiInfo
        let table = word(systemTable), mapAddress = word(buffer)
        info.storeBytes(of: ZeroPage.efiLoaderSignature64, as: UInt32.self)
        info.storeBytes(of: UInt32(truncatingIfNeeded: table), toByteOffset: 4, as: UInt32.self)
        info.storeBytes(of: UInt32(descriptorSize), toByteOffset: 8, as: UInt32.self)
        info.storeBytes(of: version, toByteOffset: 12, as: UInt32.self)
        info.storeBytes(of: UInt32(truncatingIfNeeded: mapAddress), toByteOffset: 16, as: UInt32.self)
        info.storeBytes(of: UInt32(size), toByteOffset: 20, as: UInt32.self)
        info.storeBytes(of: UInt32(truncatingIfNeeded: table >> 32), toByteOffset: 24, as: UInt32.self)
        info.storeBytes(of: UInt32(truncatingIfNeeded: mapAddress >> 32), toByteOffset: 28, as: UInt32.self)
        bootParams.storeBytes(of: UInt32(32768), toByteOffset: ZeroPage.altMemK, as: UInt32.self)
    }
}
