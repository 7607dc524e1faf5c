import Foundation
import StubCore
import Testing
import TestSupport

/// A firmware of the test's making: a system table whose boot services are numbered fakes that record their calls,
/// a crafted memory map, a LoadFile2 initrd, a file system on the image's device, a GOP and a console; memory
/// comes from the host. The EFI entry's
/// logic runs against it unchanged (the call function is the only difference from the boot).
final class FakeFirmware {
    nonisolated(unsafe) static var current: FakeFirmware?

    enum Function: UInt64 {
        case allocatePages = 1, freePages, getMemoryMap, allocatePool, handleProtocol, locateDevicePath,
             exitBootServices, locateProtocol, outputString, loadFile, getVariable,
             openVolume, fileOpen, fileClose, fileRead, fileGetInfo
    }

    var calls: [(Function, [UInt64])] = []
    var console = ""
    var allocations: [(type: UInt64, memoryType: UInt32, pages: Int, limit: UInt64, address: UInt64)] = []
    var memory: [UnsafeMutableRawPointer] = []
    var staleKeys = 1  // ExitBootServices refuses the first key, as when an allocation raced it
    var exited = false
    var mapKey: UInt64 = 0x1000
    var initrd: [UInt8]? = Array("initrd contents".utf8)
    var hasLoadedImage = true
    var preferredAddressFree = false
    var kernelRegion: UnsafeMutableRawPointer?
    /// The addresses AllocatePages(AllocateAddress) was asked for, in order.
    var addressRequests: [UInt64] = []
    /// The files on the image's device by their UCS-2 path (EFI_SIMPLE_FILE_SYSTEM_PROTOCOL); nil: no file system.
    var files: [String: [UInt8]]? = [:]
    /// Bytes a Read gives at most (a short read, as at the end of a file).
    var readLimit = 3000
    /// The paths opened, in order; the open EFI_FILE_PROTOCOLs (the root is ""), by interface, with their positions.
    var opened: [String] = []
    var openFiles: [UInt64: (path: String, position: Int)] = [:]
    /// One-byte variables by name (any vendor GUID).
    var variables: [String: UInt8] = [:]
    let runtimeServices = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 8)

    let systemTable = UnsafeMutableRawPointer.allocate(byteCount: 120, alignment: 8)
    let bootServices = UnsafeMutableRawPointer.allocate(byteCount: 400, alignment: 8)
    let conOut = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)
    let loadedImage = UnsafeMutableRawPointer.allocate(byteCount: 96, alignment: 8)
    let options: UnsafeMutableRawPointer
    let optionsSize: Int
    let loadFile2 = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
    let fileSystem = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)
    let gop = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 8)
    let gopMode = UnsafeMutableRawPointer.allocate(byteCount: 40, alignment: 8)
    let gopInfo = UnsafeMutableRawPointer.allocate(byteCount: 36, alignment: 8)
    static let imageHandle: UInt64 = 0x1111, initrdHandle: UInt64 = 0x2222, deviceHandle: UInt64 = 0x3333
    /// (EFI type, start, pages) of the map the firmware reports; 48-byte descriptors.
    var map: [(UInt32, UInt64, UInt64)] = [
        (7, 0, 0x9F), (0, 0x9F000, 0x61), (4, 0x10_0000, 0x100), (7, 0x20_0000, 0x3E00), (3, 0x400_0000, 0x10),
        (6, 0x401_0000, 0x10), (9, 0x402_0000, 0x4), (10, 0x402_4000, 0x4), (11, 0xFEC0_0000, 1),
    ]

    init(commandLine: String) {
        let units = Array(commandLine.utf16) + [0]
        optionsSize = units.count * 2
        options = UnsafeMutableRawPointer.allocate(byteCount: optionsSize, alignment: 2)
        units.withUnsafeBytes { options.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        for (page, size) in [(conOut, 16), (gop, 32), (gopMode, 40)] { page.initializeMemory(as: UInt8.self, repeating: 0, count: size) }
        systemTable.initializeMemory(as: UInt8.self, repeating: 0, count: 120)
        bootServices.initializeMemory(as: UInt8.self, repeating: 0, count: 400)
        loadedImage.initializeMemory(as: UInt8.self, repeating: 0, count: 96)
        gopInfo.initializeMemory(as: UInt8.self, repeating: 0, count: 36)
        systemTable.storeBytes(of: EFI.SystemTable.signature, as: UInt64.self)
        systemTable.storeBytes(of: conOut, toByteOffset: EFI.SystemTable.conOut, as: UnsafeMutableRawPointer.self)
        systemTable.storeBytes(of: bootServices, toByteOffset: EFI.SystemTable.bootServices, as: UnsafeMutableRawPointer.self)
        runtimeServices.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
        runtimeServices.storeBytes(of: Function.getVariable.rawValue, toByteOffset: 72, as: UInt64.self)
        systemTable.storeBytes(of: runtimeServices, toByteOffset: 88, as: UnsafeMutableRawPointer.self)
        for (offset, function) in [(EFI.BootServices.allocatePages, Function.allocatePages), (EFI.BootServices.freePages, .freePages),
                                   (EFI.BootServices.getMemoryMap, .getMemoryMap), (EFI.BootServices.allocatePool, .allocatePool),
                                   (EFI.BootServices.handleProtocol, .handleProtocol), (EFI.BootServices.locateDevicePath, .locateDevicePath),
                                   (EFI.BootServices.exitBootServices, .exitBootServices), (EFI.BootServices.locateProtocol, .locateProtocol)] {
            bootServices.storeBytes(of: function.rawValue, toByteOffset: offset, as: UInt64.self)
        }
        conOut.storeBytes(of: Function.outputString.rawValue, toByteOffset: EFI.SimpleTextOutput.outputString, as: UInt64.self)
        loadedImage.storeBytes(of: UInt32(optionsSize), toByteOffset: EFI.LoadedImage.loadOptionsSize, as: UInt32.self)
        loadedImage.storeBytes(of: options, toByteOffset: EFI.LoadedImage.loadOptions, as: UnsafeMutableRawPointer.self)
        loadFile2.storeBytes(of: Function.loadFile.rawValue, as: UInt64.self)
        loadedImage.storeBytes(of: Self.deviceHandle, toByteOffset: EFI.LoadedImage.deviceHandle, as: UInt64.self)
        fileSystem.storeBytes(of: Function.openVolume.rawValue, toByteOffset: EFI.SimpleFileSystem.openVolume, as: UInt64.self)
        gop.storeBytes(of: gopMode, toByteOffset: 24, as: UnsafeMutableRawPointer.self)
        gopMode.storeBytes(of: gopInfo, toByteOffset: 8, as: UnsafeMutableRawPointer.self)
        gopMode.storeBytes(of: UInt64(0x1_8000_0000), toByteOffset: 24, as: UInt64.self)  // framebuffer above 4 GiB
        gopInfo.storeBytes(of: UInt32(1280), toByteOffset: 4, as: UInt32.self)
        gopInfo.storeBytes(of: UInt32(800), toByteOffset: 8, as: UInt32.self)
        gopInfo.storeBytes(of: UInt32(1), toByteOffset: 12, as: UInt32.self)  // BGRX
        gopInfo.storeBytes(of: UInt32(1280), toByteOffset: 32, as: UInt32.self)
    }

    deinit {
        for block in memory { block.deallocate() }
        for page in [systemTable, bootServices, conOut, loadedImage, options, loadFile2, fileSystem, gop, gopMode, gopInfo, runtimeServices] {
            page.deallocate()
        }
    }

    var firmware: EFIFirmware { EFIFirmware(call: fakeCall, imageHandle: Self.imageHandle, systemTable: systemTable)! }

    func hostMemory(_ bytes: Int, alignment: Int = 4096) -> UInt64 {
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
        block.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
        memory.append(block)
        return UInt64(UInt(bitPattern: block))
    }

    func handle(_ function: Function, _ a: [UInt64]) -> UInt64 {
        calls.append((function, a))
        func out(_ at: UInt64) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: UInt(at))! }
        switch function {
        case .allocatePages:
            let pages = Int(a[2]), pointer = out(a[3])
            if a[0] == EFI.AllocateType.address {
                addressRequests.append(pointer.load(as: UInt64.self))
                guard preferredAddressFree, let region = kernelRegion else { return EFI.StatusCode.notFound }
                allocations.append((a[0], UInt32(a[1]), pages, 0, UInt64(UInt(bitPattern: region))))
                return EFI.StatusCode.success
            }
            let address = hostMemory(pages * 4096)
            allocations.append((a[0], UInt32(a[1]), pages, pointer.load(as: UInt64.self), address))
            pointer.storeBytes(of: address, as: UInt64.self)
            return EFI.StatusCode.success
        case .freePages:
            return EFI.StatusCode.success
        case .getMemoryMap:
            let size = out(a[0]), needed = map.count * 48
            out(a[3]).storeBytes(of: 48, as: Int.self)
            out(a[4]).storeBytes(of: UInt32(1), as: UInt32.self)
            out(a[2]).storeBytes(of: mapKey, as: UInt64.self)
            guard size.load(as: Int.self) >= needed, a[1] != 0 else {
                size.storeBytes(of: needed, as: Int.self)
                return EFI.StatusCode.bufferTooSmall
            }
            for (i, (type, start, pages)) in map.enumerated() {
                let d = out(a[1]) + i * 48
                d.initializeMemory(as: UInt8.self, repeating: 0, count: 48)
                d.storeBytes(of: type, as: UInt32.self)
                d.storeBytes(of: start, toByteOffset: 8, as: UInt64.self)
                d.storeBytes(of: pages, toByteOffset: 24, as: UInt64.self)
            }
            size.storeBytes(of: needed, as: Int.self)
            return EFI.StatusCode.success
        case .allocatePool:
            out(a[2]).storeBytes(of: hostMemory(Int(a[1]), alignment: 8), as: UInt64.self)
            return EFI.StatusCode.success
        case .handleProtocol:
            let guid = EFI.GUID(reading: UnsafeRawPointer(out(a[1])))
            let interface: UnsafeMutableRawPointer?
            if a[0] == Self.imageHandle, guid == .loadedImage, hasLoadedImage { interface = loadedImage }
            else if a[0] == Self.initrdHandle, guid == .loadFile2 { interface = loadFile2 }
            else if a[0] == Self.deviceHandle, guid == .simpleFileSystem, files != nil { interface = fileSystem }
            else { interface = nil }
            guard let interface else { return EFI.StatusCode.unsupported }
            out(a[2]).storeBytes(of: interface, as: UnsafeMutableRawPointer.self)
            return EFI.StatusCode.success
        case .locateDevicePath:
            // The initrd's vendor media node, then the end node: the handle, and the path left (the end node).
            let path = out(a[1]).load(as: UnsafeMutableRawPointer.self)
            let node = path.loadUnaligned(as: UInt32.self), guid = EFI.GUID(reading: UnsafeRawPointer(path + 4))
            guard initrd != nil, EFI.GUID(reading: UnsafeRawPointer(out(a[0]))) == .devicePath, node == 0x0014_0304,
                  guid == .linuxInitrdMedia else { return EFI.StatusCode.notFound }
            out(a[1]).storeBytes(of: path + 20, as: UnsafeMutableRawPointer.self)
            out(a[2]).storeBytes(of: Self.initrdHandle, as: UInt64.self)
            return EFI.StatusCode.success
        case .loadFile:
            guard let initrd, a[0] == UInt64(UInt(bitPattern: loadFile2)),
                  out(a[1]).loadUnaligned(as: UInt32.self) == 0x0004_FF7F else { return EFI.StatusCode.invalidParameter }
            let size = out(a[3])
            guard a[4] != 0, size.load(as: Int.self) >= initrd.count else {
                size.storeBytes(of: initrd.count, as: Int.self)
                return EFI.StatusCode.bufferTooSmall
            }
            initrd.withUnsafeBytes { out(a[4]).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            return EFI.StatusCode.success
        case .exitBootServices:
            guard a[0] == Self.imageHandle, staleKeys == 0, a[1] == mapKey else {
                staleKeys = max(0, staleKeys - 1)
                mapKey += 1
                return EFI.StatusCode.invalidParameter
            }
            exited = true
            return EFI.StatusCode.success
        case .locateProtocol:
            guard EFI.GUID(reading: UnsafeRawPointer(out(a[0]))) == .graphicsOutput else { return EFI.StatusCode.notFound }
            out(a[2]).storeBytes(of: gop, as: UnsafeMutableRawPointer.self)
            return EFI.StatusCode.success
        case .getVariable:
            var name = "", at = out(a[0])
            while at.load(as: UInt16.self) != 0 { name.unicodeScalars.append(UnicodeScalar(at.load(as: UInt16.self))!); at += 2 }
            guard let value = variables[name] else { return EFI.StatusCode.notFound }
            guard out(a[3]).load(as: Int.self) >= 1 else { return EFI.StatusCode.bufferTooSmall }
            out(a[3]).storeBytes(of: 1, as: Int.self)
            out(a[4]).storeBytes(of: value, as: UInt8.self)
            return EFI.StatusCode.success
        case .openVolume:
            guard a[0] == UInt64(UInt(bitPattern: fileSystem)) else { return EFI.StatusCode.invalidParameter }
            out(a[1]).storeBytes(of: openFile(""), as: UInt64.self)
            return EFI.StatusCode.success
        case .fileOpen:
            // Only from the root, for reading.
            guard openFiles[a[0]]?.path == "", a[3] == EFI.File.modeRead else { return EFI.StatusCode.invalidParameter }
            let path = Self.string(out(a[2]))
            opened.append(path)
            guard files?[path] != nil else { return EFI.StatusCode.notFound }
            out(a[1]).storeBytes(of: openFile(path), as: UInt64.self)
            return EFI.StatusCode.success
        case .fileClose:
            return openFiles.removeValue(forKey: a[0]) == nil ? EFI.StatusCode.invalidParameter : EFI.StatusCode.success
        case .fileGetInfo:
            guard let (path, _) = openFiles[a[0]], let contents = files?[path],
                  EFI.GUID(reading: UnsafeRawPointer(out(a[1]))) == .fileInfo else { return EFI.StatusCode.invalidParameter }
            let name = Array((path.split(separator: "\\").last.map(String.init) ?? path).utf16) + [0]
            let size = out(a[2]), needed = 80 + name.count * 2
            guard size.load(as: Int.self) >= needed else {
                size.storeBytes(of: needed, as: Int.self)
                return EFI.StatusCode.bufferTooSmall
            }
            let info = out(a[3])
            info.initializeMemory(as: UInt8.self, repeating: 0, count: 80)
            info.storeBytes(of: UInt64(needed), as: UInt64.self)
            info.storeBytes(of: UInt64(contents.count), toByteOffset: EFI.File.infoFileSize, as: UInt64.self)
            name.withUnsafeBytes { (info + EFI.File.infoFileName).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            size.storeBytes(of: needed, as: Int.self)
            return EFI.StatusCode.success
        case .fileRead:
            guard let (path, position) = openFiles[a[0]], let contents = files?[path] else { return EFI.StatusCode.invalidParameter }
            let size = out(a[1])
            let count = min(size.load(as: Int.self), contents.count - position, readLimit)
            contents[position..<position + count].withUnsafeBytes { out(a[2]).copyMemory(from: $0.baseAddress!, byteCount: count) }
            size.storeBytes(of: count, as: Int.self)
            openFiles[a[0]] = (path, position + count)
            return EFI.StatusCode.success
        case .outputString:
            var at = out(a[1])
            while at.load(as: UInt16.self) != 0 { console.unicodeScalars.append(UnicodeScalar(at.load(as: UInt16.self))!); at += 2 }
            return EFI.StatusCode.success
        }
    }
}

extension FakeFirmware {
    /// A new EFI_FILE_PROTOCOL for `path` (host memory: Open, Close, Read, GetInfo), recorded as open.
    func openFile(_ path: String) -> UInt64 {
        let file = hostMemory(96, alignment: 8)
        let raw = UnsafeMutableRawPointer(bitPattern: UInt(file))!
        for (offset, function) in [(EFI.File.open, Function.fileOpen), (EFI.File.close, .fileClose), (EFI.File.read, .fileRead),
                                   (EFI.File.getInfo, .fileGetInfo)] {
            raw.storeBytes(of: function.rawValue, toByteOffset: offset, as: UInt64.self)
        }
        openFiles[file] = (path, 0)
        return file
    }

    static func string(_ at: UnsafeMutableRawPointer) -> String {
        var units: [UInt16] = [], at = at
        while at.load(as: UInt16.self) != 0 { units.append(at.load(as: UInt16.self)); at += 2 }
        return String(decoding: units, as: UTF16.self)
    }
}

private let fakeCall: EFIFirmware.Call = { function, a, b, c, d, e in
    guard let fake = FakeFirmware.current, let f = FakeFirmware.Function(rawValue: function) else {
        return EFI.StatusCode.unsupported
    }
    return fake.handle(f, [a, b, c, d, e])
}

@Suite(.serialized) struct EFIBootTests {
    /// A pattern where nothing reads the header, and the fields the buffer comes from (init_size 4 MiB,
    /// kernel_alignment 2 MiB, pref_address 16 MiB unless a test says otherwise).
    static func header(loadAddress: UInt64 = 0x100_0000) -> [UInt8] {
        var header: [UInt8] = (0..<0x7B).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        header.put(UInt32(0x40_0000), at: 0x260 - 0x1F1)
        header.put(UInt32(0x20_0000), at: 0x230 - 0x1F1)
        header.put(loadAddress, at: 0x258 - 0x1F1)
        header.put(UInt64(0), at: 0x250 - 0x1F1)  // setup_data: a loader's field, 0 in an image
        return header
    }
    static let header = header()

    /// A fake protected-mode image: 16 KiB of pattern with a header copy at 0x3000, its "payload" at 0x1000 …
    /// 0x2800 and the stub's parameter block, holding the payload's digest, at 0x2800.
    static func image(loadAddress: UInt64 = 0x100_0000, damaged: Bool = false) -> [UInt8] {
        var image = (0..<0x4000).map { UInt8(truncatingIfNeeded: $0 >> 3) }
        let header = header(loadAddress: loadAddress)
        image.replaceSubrange(0x3000..<0x3000 + header.count, with: header)
        let digest = PayloadCheck.digest(Array(image[0x1000..<0x2800]))
        let block = BootParameters(outputLength: 0, format: 0, loadAddress: 0, delta: 0, inverseTable: 0, payloadDigest: digest)
        image.withUnsafeMutableBytes { block.write(to: $0.baseAddress! + 0x2800) }
        if damaged { image[0x1234] ^= 0x10 }
        return image
    }

    static let parameters = EFIParameters(imageLength: 0x4000, headerOffset: 0x3000, headerLength: header.count,
                                          entryOffset: 0x200, payloadOffset: 0x1000, payloadLength: 0x1800,
                                          stubParametersOffset: 0x2800)

    static func run(_ fake: FakeFirmware, loadAddress: UInt64 = 0x100_0000, damaged: Bool = false)
        throws(EFIBoot.Failure) -> EFIBoot.Handoff
    {
        FakeFirmware.current = fake
        defer { FakeFirmware.current = nil }
        let p = parameters
        let result = image(loadAddress: loadAddress, damaged: damaged).withUnsafeBytes { raw in
            Result { () throws(EFIBoot.Failure) in try EFIBoot.run(fake.firmware, image: raw.baseAddress!, parameters: p) }
        }
        return try result.get()
    }

    static func handover(_ fake: FakeFirmware, bootParams: UnsafeMutableRawPointer) throws(EFIBoot.Failure) -> EFIBoot.Handoff {
        FakeFirmware.current = fake
        defer { FakeFirmware.current = nil }
        let result = image().withUnsafeBytes { raw in
            Result { () throws(EFIBoot.Failure) in
                try EFIBoot.handover(fake.firmware, image: raw.baseAddress!, parameters: Self.parameters, bootParams: bootParams)
            }
        }
        return try result.get()
    }

    /// `count` E820 entries (u64 address, u64 size, u32 type) at `table`.
    static func e820(_ table: UnsafeRawPointer, count: Int) -> [(UInt64, UInt64, UInt32)] {
        (0..<count).map { i in
            (table.loadUnaligned(fromByteOffset: 20 * i, as: UInt64.self), table.loadUnaligned(fromByteOffset: 20 * i + 8, as: UInt64.self),
             table.loadUnaligned(fromByteOffset: 20 * i + 16, as: UInt32.self))
        }
    }

    static func bytes(_ address: UInt64, _ count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: UInt(address)), count: count))
    }

    @Test func bootParamsCommandLineInitrdScreenAndMemoryMap() throws {
        let fake = FakeFirmware(commandLine: "console=ttyS0 root=/dev/vda1 café")
        let handoff = try Self.run(fake)
        let bp = UnsafeRawPointer(bitPattern: UInt(handoff.bootParams))!
        func u32(_ at: Int) -> UInt32 { bp.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
        func address(_ low: Int, _ high: Int) -> UInt64 { UInt64(u32(low)) | UInt64(u32(high)) << 32 }
        // The image's header, our loader type, everything else as the page was zeroed.
        var expected = Self.header  // as the loader updates it: type_of_loader, ramdisk, cmd_line_ptr
        expected[0x210 - 0x1F1] = 0x21
        expected.replaceSubrange(0x218 - 0x1F1..<0x220 - 0x1F1, with: Self.bytes(handoff.bootParams + 0x218, 8))
        expected.replaceSubrange(0x228 - 0x1F1..<0x22C - 0x1F1, with: Self.bytes(handoff.bootParams + 0x228, 4))
        #expect(Self.bytes(handoff.bootParams + 0x1F1, Self.header.count) == expected)
        #expect(Self.bytes(handoff.bootParams + 0x220, 8) == Array(Self.header[0x220 - 0x1F1..<0x228 - 0x1F1]))
        #expect(bp.load(fromByteOffset: 0x210, as: UInt8.self) == 0x21)
        // The command line in UTF-8, NUL-terminated.
        let line = address(0x228, 0xC8)
        #expect(String(cString: UnsafePointer<CChar>(bitPattern: UInt(line))!) == "console=ttyS0 root=/dev/vda1 café")
        // The initrd through LoadFile2.
        #expect(Self.bytes(address(0x218, 0xC0), Int(address(0x21C, 0xC4))) == fake.initrd!)
        // GOP: 1280×800 BGRX at 6 GiB.
        #expect(bp.load(fromByteOffset: 0x0F, as: UInt8.self) == 0x70)
        #expect(bp.loadUnaligned(fromByteOffset: 0x12, as: UInt16.self) == 1280 && bp.loadUnaligned(fromByteOffset: 0x14, as: UInt16.self) == 800)
        #expect(address(0x18, 0x3A) == 0x1_8000_0000 && u32(0x36) == 3)
        #expect(bp.loadUnaligned(fromByteOffset: 0x24, as: UInt16.self) == 5120 && u32(0x1C) == 5120 * 800)
        #expect(Self.bytes(handoff.bootParams + 0x26, 8) == [8, 16, 8, 8, 8, 0, 8, 24])
        // efi_info: EL64, the system table, the map with the firmware's stride.
        #expect(u32(0x1C0) == 0x3436_4C45 && address(0x1C4, 0x1D8) == UInt64(UInt(bitPattern: fake.systemTable)))
        #expect(u32(0x1C8) == 48 && u32(0x1CC) == 1 && u32(0x1D4) == UInt32(fake.map.count * 48))
        // E820: RAM merged across boot-services data, conventional memory and boot-services code; runtime, ACPI,
        // NVS, MMIO kept apart.
        let e820 = Self.e820(bp + 0x2D0, count: Int(bp.load(fromByteOffset: 0x1E8, as: UInt8.self)))
        #expect(e820.map(\.0) == [0, 0x9F000, 0x10_0000, 0x401_0000, 0x402_0000, 0x402_4000, 0xFEC0_0000])
        #expect(e820.map(\.2) == [1, 2, 1, 2, 3, 4, 2])
        #expect(e820[2].1 == (0x100 + 0x3E00 + 0x10) * 4096)
        // ExitBootServices: refused once with a stale key, then the fresh map's key; nothing called after it.
        let exits = fake.calls.filter { $0.0 == .exitBootServices }
        #expect(exits.count == 2 && fake.exited)
        #expect(fake.calls.last?.0 == .exitBootServices)
        // boot_params and the command line below 4 GiB; the kernel's buffer as EfiLoaderCode.
        #expect(fake.allocations.prefix(2).allSatisfy {
            $0.type == EFI.AllocateType.maxAddress && $0.memoryType == EFI.MemoryType.loaderData && $0.pages == 1 && $0.limit == 0xFFFF_FFFF
        })
        #expect(fake.console.isEmpty)
    }

    /// The image goes to an init_size buffer at a kernel_alignment boundary: pref_address when it is free.
    @Test func theKernelBufferIsAlignedAndHoldsTheImage() throws {
        let fake = FakeFirmware(commandLine: "")
        let region = fake.hostMemory(0x40_0000, alignment: 0x20_0000)
        fake.kernelRegion = UnsafeMutableRawPointer(bitPattern: UInt(region))
        fake.preferredAddressFree = true
        let handoff = try Self.run(fake, loadAddress: region)
        #expect(handoff.entry == region + 0x200)
        #expect(Self.bytes(region, 0x4000) == Self.image(loadAddress: region))
        // pref_address taken: another allocation, aligned inside, never below LOAD_PHYSICAL_ADDR.
        let other = FakeFirmware(commandLine: "")
        let moved = try Self.run(other)
        let buffer = moved.entry - 0x200
        #expect(buffer % 0x20_0000 == 0 && buffer >= 0x100_0000)
        #expect(Self.bytes(buffer, 0x4000) == Self.image())
        let code = try #require(other.allocations.first { $0.memoryType == EFI.MemoryType.loaderCode && $0.type == EFI.AllocateType.anyPages })
        #expect(code.pages == 0x400 + 0x200 && buffer >= code.address && buffer + 0x40_0000 <= code.address + 0x600 * 4096)
    }

    /// The handover entry takes the loader's boot_params as they are (its command line, no LoadedImage) and
    /// does the rest as the PE entry.
    @Test func handoverKeepsTheLoadersBootParams() throws {
        let fake = FakeFirmware(commandLine: "ignored")
        fake.hasLoadedImage = false
        let page = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { page.deallocate() }
        page.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        let line = UnsafeMutablePointer<CChar>.allocate(capacity: 16)
        defer { line.deallocate() }
        _ = strcpy(line, "nokaslr quiet")
        let lineAddress = UInt64(UInt(bitPattern: line))
        page.storeBytes(of: UInt32(truncatingIfNeeded: lineAddress), toByteOffset: 0x228, as: UInt32.self)  // the loader's
        page.storeBytes(of: UInt32(lineAddress >> 32), toByteOffset: 0xC8, as: UInt32.self)
        let handoff = try Self.handover(fake, bootParams: page)
        #expect(handoff.bootParams == UInt64(UInt(bitPattern: page)))
        #expect(page.load(fromByteOffset: 0x228, as: UInt32.self) == UInt32(truncatingIfNeeded: lineAddress))
        #expect(page.load(fromByteOffset: 0x1C0, as: UInt32.self) == 0x3436_4C45 && fake.exited)
        #expect(Self.bytes(handoff.entry - 0x200, 0x4000) == Self.image())
        #expect(!fake.calls.contains { $0.0 == .handleProtocol && $0.1[0] == FakeFirmware.imageHandle })
    }

    /// boot_params.secure_boot from SecureBoot, SetupMode and shim's MokSBStateRT, as the kernel's stub reads them.
    static let secureBootCases: [([String: UInt8], UInt8)] = [
        ([:], 2), (["SecureBoot": 1, "SetupMode": 0], 3), (["SecureBoot": 0, "SetupMode": 0], 2),
        (["SecureBoot": 1, "SetupMode": 1], 2), (["SecureBoot": 1, "SetupMode": 0, "MokSBStateRT": 1], 2),
    ]

    @Test(arguments: secureBootCases)
    func secureBootMode(variables: [String: UInt8], expected: UInt8) throws {
        let fake = FakeFirmware(commandLine: "")
        fake.variables = variables
        let handoff = try Self.run(fake)
        #expect(UnsafeRawPointer(bitPattern: UInt(handoff.bootParams))!.load(fromByteOffset: 0x1EC, as: UInt8.self) == expected)
    }

    /// Physical KASLR asks for a random kernel_alignment slot of conventional memory at or above pref_address
    /// (the fake refuses it, as a busy firmware might, and the buffer falls back to the plain placement); with
    /// `nokaslr` for the lowest slot.
    @Test func physicalKASLRPicksASlot() throws {
        var requested = Set<UInt64>()
        for seed: UInt64 in [0x1234_5678_9ABC_DEF0, 0x0FED_CBA9_8765_4321, 0x5555_AAAA_5555_AAAA, 0x0123_4567_89AB_CDEF] {
            let fake = FakeFirmware(commandLine: "console=ttyS0")
            FakeFirmware.current = fake
            let p = Self.parameters
            _ = try Self.image().withUnsafeBytes { raw in
                Result { () throws(EFIBoot.Failure) in try EFIBoot.run(fake.firmware, image: raw.baseAddress!, parameters: p, seed: seed) }
            }.get()
            FakeFirmware.current = nil
            let asked = fake.addressRequests
            #expect(asked.count == 2, "a slot, then pref_address: \(asked)")
            let slot = try #require(asked.first)
            #expect(slot % 0x20_0000 == 0 && slot >= 0x100_0000 && slot + 0x40_0000 <= 0x400_0000, "\(asked.map { String($0, radix: 16) })")
            requested.insert(slot)
        }
        #expect(requested.count > 1, "four seeds gave one slot: \(requested)")
        let fake = FakeFirmware(commandLine: "console=ttyS0 nokaslr")
        _ = try Self.run(fake)
        #expect(fake.addressRequests == [0x100_0000, 0x100_0000])  // the lowest slot, then pref_address
    }

    @Test func physicalSlotsCountAndPick() {
        var slots = PhysicalSlots(size: 0x40_0000, alignment: 0x20_0000, minimum: 0x100_0000)
        slots.add(start: 0, end: 0x110_0000)              // below the minimum but for one 2 MiB step: none
        slots.add(start: 0x110_0000, end: 0x200_0000)     // 0x1200000, 0x1400000, …, 0x1C00000: 6
        slots.add(start: 0x1_0000_0000, end: 0x1_0060_0000)  // 0x100000000, 0x100200000: 2
        #expect(slots.count == 8)
        #expect(slots.pick(0) == 0 && slots.pick(0xFFFF_FFFF) == 7 && slots.pick(0x8000_0000) == 4)
        func address(_ slot: UInt64) -> UInt64? {
            var index = slot
            for (start, end): (UInt64, UInt64) in [(0, 0x110_0000), (0x110_0000, 0x200_0000), (0x1_0000_0000, 0x1_0060_0000)] {
                if let found = slots.address(of: &index, start: start, end: end) { return found }
            }
            return nil
        }
        #expect(address(0) == 0x120_0000 && address(5) == 0x1C0_0000 && address(6) == 0x1_0000_0000 && address(7) == 0x1_0020_0000)
        #expect(address(8) == nil)
    }

    @Test func noInitrdDeviceMeansNoInitrd() throws {
        let fake = FakeFirmware(commandLine: "quiet")
        fake.initrd = nil
        let handoff = try Self.run(fake)
        let bp = UnsafeRawPointer(bitPattern: UInt(handoff.bootParams))!
        #expect(Self.bytes(handoff.bootParams + 0x218, 8) == Array(Self.header[0x218 - 0x1F1..<0x220 - 0x1F1]))  // as the header had them
        #expect(!fake.calls.contains { $0.0 == .loadFile })
    }

    @Test func failuresComeBackBeforeExitBootServices() throws {
        let fake = FakeFirmware(commandLine: "")
        fake.hasLoadedImage = false
        #expect(throws: EFIBoot.Failure.noLoadedImage) { try Self.run(fake) }
        #expect(!fake.exited)
        let stale = FakeFirmware(commandLine: "")
        stale.staleKeys = 2
        #expect(throws: EFIBoot.Failure.exitBootServices(EFI.StatusCode.invalidParameter)) { try Self.run(stale) }
        #expect(EFIBoot.Failure.noLoadedImage.status == EFI.StatusCode.loadError)
        // One flipped payload bit: refused before anything is allocated, while the firmware can take over.
        let damaged = FakeFirmware(commandLine: "")
        #expect(throws: EFIBoot.Failure.payloadDamaged) { try Self.run(damaged, damaged: true) }
        #expect(!damaged.exited && !damaged.calls.contains { $0.0 == .allocatePages })
        #expect(EFIBoot.Failure.payloadDamaged.status == EFI.StatusCode.volumeCorrupted)
    }

    /// The ramdisk boot_params point to.
    static func ramdisk(_ handoff: EFIBoot.Handoff) -> [UInt8] {
        let bp = UnsafeRawPointer(bitPattern: UInt(handoff.bootParams))!
        func address(_ low: Int, _ high: Int) -> UInt64 {
            UInt64(bp.loadUnaligned(fromByteOffset: low, as: UInt32.self)) | UInt64(bp.loadUnaligned(fromByteOffset: high, as: UInt32.self)) << 32
        }
        return bytes(address(0x218, 0xC0), Int(address(0x21C, 0xC4)))
    }

    /// No LoadFile2 initrd: `initrd=` is read from the image's own volume (the root of its device's file system),
    /// with the path's leading separator dropped, closed again, into LoaderData below initrd_addr_max.
    @Test func initrdFromTheImagesFileSystem() throws {
        let fake = FakeFirmware(commandLine: "console=ttyS0 initrd=\\i quiet")
        fake.initrd = nil
        let contents = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        fake.files = ["i": contents]
        let handoff = try Self.run(fake)
        #expect(Self.ramdisk(handoff) == contents)
        #expect(fake.opened == ["i"] && fake.openFiles.isEmpty, "\(fake.opened), still open: \(fake.openFiles)")
        #expect(fake.calls.filter { $0.0 == .fileRead }.count == 4)  // 3000 bytes a time
        let pages = try #require(fake.allocations.first { $0.pages == 3 })
        #expect(pages.type == EFI.AllocateType.maxAddress && pages.memoryType == EFI.MemoryType.loaderData)
        #expect(pages.limit == UInt64(Self.header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0x22C - 0x1F1, as: UInt32.self) }))
        #expect(fake.exited && fake.console.isEmpty)
    }

    /// Several `initrd=` options: their files concatenated in order (the first moved when the second does not fit
    /// its pages); `/` is taken as `\`.
    @Test func initrdFilesAreConcatenated() throws {
        let fake = FakeFirmware(commandLine: "initrd=/boot/a.img root=/dev/vda initrd=b/c.img")
        fake.initrd = nil
        let a = Array(repeating: UInt8(0xAA), count: 5000), b = (0..<7000).map { UInt8(truncatingIfNeeded: $0) }
        fake.files = ["boot\\a.img": a, "b\\c.img": b, "root=": [1]]
        let handoff = try Self.run(fake)
        #expect(fake.opened == ["boot\\a.img", "b\\c.img"] && fake.openFiles.isEmpty)
        #expect(Self.ramdisk(handoff) == a + b)
        let first = try #require(fake.allocations.first { $0.pages == 2 }), second = try #require(fake.allocations.first { $0.pages == 3 })
        #expect(fake.calls.contains { $0.0 == .freePages && $0.1[0] == first.address && $0.1[1] == 2 })
        #expect(!fake.calls.contains { $0.0 == .freePages && $0.1[0] == second.address })
    }

    /// A path that is not there: a failure before ExitBootServices, with its line for the console.
    @Test func aMissingInitrdFileFailsTheBoot() throws {
        let fake = FakeFirmware(commandLine: "initrd=\\a initrd=\\missing")
        fake.initrd = nil
        fake.files = ["a": [1, 2, 3]]
        #expect(throws: EFIBoot.Failure.initrdFileNotFound(EFI.StatusCode.notFound)) { try Self.run(fake) }
        #expect(!fake.exited && fake.opened == ["a", "missing"] && fake.openFiles.isEmpty)
        let first = fake.allocations[2]  // after boot_params and the command line: the first file's page, freed
        #expect(first.pages == 1 && fake.calls.contains { $0.0 == .freePages && $0.1[0] == first.address && $0.1[1] == 1 })
        let failure = EFIBoot.Failure.initrdFileNotFound(EFI.StatusCode.notFound)
        #expect(failure.status == EFI.StatusCode.notFound)
        #expect("\(failure.message)" == "mkbzimage: an initrd= file is not on the image's own file system\n")
        // A device without a file system: the same failure.
        let bare = FakeFirmware(commandLine: "initrd=i")
        bare.initrd = nil
        bare.files = nil
        #expect(throws: EFIBoot.Failure.initrdFileNotFound(EFI.StatusCode.unsupported)) { try Self.run(bare) }
        #expect(!bare.exited)
    }

    /// A LoadFile2 initrd supersedes `initrd=` (OVMF and systemd-boot pass both): the file system is not touched.
    /// `noinitrd` loads neither, as with the kernel's stub.
    @Test func loadFile2OrNoinitrdLeaveTheFileSystemAlone() throws {
        let fake = FakeFirmware(commandLine: "initrd=\\i")
        fake.files = ["i": [9, 9, 9]]
        let handoff = try Self.run(fake)
        #expect(Self.ramdisk(handoff) == fake.initrd!)
        let fileSystem = fake.calls.filter {
            $0.0 == .handleProtocol && EFI.GUID(reading: UnsafeRawPointer(bitPattern: UInt($0.1[1]))!) == .simpleFileSystem
        }
        #expect(fileSystem.isEmpty && fake.opened.isEmpty)
        let none = FakeFirmware(commandLine: "noinitrd initrd=\\i")
        none.files = ["i": [9, 9, 9]]
        let without = try Self.run(none)
        #expect(Self.bytes(without.bootParams + 0x218, 8) == Array(Self.header[0x218 - 0x1F1..<0x220 - 0x1F1]))
        #expect(none.opened.isEmpty && !none.calls.contains { $0.0 == .loadFile || $0.0 == .locateDevicePath })
    }

    @Test func filePathConversion() {
        func convert(_ path: String, capacity: Int = 256) -> [UInt16]? {
            var out = [UInt16](repeating: 0xEEEE, count: capacity)
            let utf8 = Array(path.utf8)
            let fits = utf8.withUnsafeBytes { p in out.withUnsafeMutableBytes {
                EFICommandLine.filePath(p.baseAddress!, length: p.count, into: $0.baseAddress!, capacity: capacity) } }
            guard fits else { return nil }
            return Array(out.prefix { $0 != 0 })
        }
        #expect(convert("//boot/x.img") == Array("boot\\x.img".utf16))
        #expect(convert("\\café/😀") == Array("café\\😀".utf16))
        #expect(convert("abc", capacity: 4) == Array("abc".utf16))
        #expect(convert("abcd", capacity: 4) == nil)
    }

    /// Past 128 E820 entries the rest go to a SETUP_E820_EXT setup_data node, allocated before the final
    /// GetMemoryMap with the map's room, at the end of the setup_data chain the loader passed.
    @Test func e820PastBootParamsGoesToSetupData() throws {
        let map: [(UInt32, UInt64, UInt64)] = (0..<300).map { i in (i % 2 == 0 ? 7 : 0, UInt64(i) * 0x10_0000, 0x100) }
        func check(_ fake: FakeFirmware, _ bootParams: UnsafeRawPointer, chainStart: UInt64) throws {
            #expect(bootParams.load(fromByteOffset: 0x1E8, as: UInt8.self) == 128)
            var entries = Self.e820(bootParams + 0x2D0, count: 128)
            let node = try #require(UnsafeRawPointer(bitPattern: UInt(chainStart)))
            #expect(node.load(as: UInt64.self) == 0 && node.load(fromByteOffset: 8, as: UInt32.self) == 1)
            let length = Int(node.load(fromByteOffset: 12, as: UInt32.self))
            #expect(length == 172 * 20)
            entries += Self.e820(node + 16, count: length / 20)
            #expect(entries.map(\.0) == map.map(\.1) && entries.allSatisfy { $0.1 == 0x10_0000 })
            #expect(entries.map(\.2) == map.map { $0.0 == 7 ? 1 : 2 })
            // The node's pool came before the final GetMemoryMap: after the last allocation only the map and EBS.
            let lastAllocation = try #require(fake.calls.lastIndex { [.allocatePool, .allocatePages].contains($0.0) })
            #expect(fake.calls[(lastAllocation + 1)...].allSatisfy { [.getMemoryMap, .exitBootServices].contains($0.0) })
            #expect(fake.calls[lastAllocation].1[1] == UInt64(16 + (300 + 32 - 128) * 20) && fake.exited)
        }
        // The PE entry: boot_params' setup_data was 0, the node is the chain.
        let fake = FakeFirmware(commandLine: "")
        fake.map = map
        let handoff = try Self.run(fake)
        let bp = UnsafeRawPointer(bitPattern: UInt(handoff.bootParams))!
        try check(fake, bp, chainStart: bp.loadUnaligned(fromByteOffset: 0x250, as: UInt64.self))
        // The handover entry with the loader's chain of two nodes: appended to the second.
        let loader = FakeFirmware(commandLine: "")
        loader.map = map
        let page = UnsafeMutableRawPointer.allocate(byteCount: 4096 + 2 * 24, alignment: 4096)
        defer { page.deallocate() }
        page.initializeMemory(as: UInt8.self, repeating: 0, count: 4096 + 2 * 24)
        let first = page + 4096, second = first + 24
        page.storeBytes(of: UInt64(UInt(bitPattern: first)), toByteOffset: 0x250, as: UInt64.self)
        first.storeBytes(of: UInt64(UInt(bitPattern: second)), as: UInt64.self)
        for node in [first, second] { node.storeBytes(of: UInt32(9), toByteOffset: 8, as: UInt32.self) }  // SETUP_RNG_SEED
        _ = try Self.handover(loader, bootParams: page)
        #expect(page.load(fromByteOffset: 0x250, as: UInt64.self) == UInt64(UInt(bitPattern: first)))
        #expect(first.load(as: UInt64.self) == UInt64(UInt(bitPattern: second)))
        try check(loader, page, chainStart: second.load(as: UInt64.self))
    }

    /// Every EFI memory type's E820 type, as the kernel's stub maps them.
    @Test func e820Types() {
        #expect((0..<17).map { EFIMemoryMap.e820Type(UInt32($0)) } == [2, 1, 1, 1, 1, 2, 2, 1, 5, 3, 4, 2, 2, 2, 7, 0, 0])
        #expect(EFIMemoryMap.e820Type(0x7000_0000) == 0)  // OEM types are not reported
    }

    @Test func commandLineConversion() {
        func convert(_ units: [UInt16], limit: Int = 2048) -> [UInt8] {
            var out = [UInt8](repeating: 0xEE, count: limit + 1)
            let n = units.withUnsafeBytes { u in out.withUnsafeMutableBytes {
                EFICommandLine.convert(u.baseAddress, optionsSize: u.count, into: $0.baseAddress!, limit: limit) } }
            #expect(out[n] == 0)
            return Array(out[..<n])
        }
        #expect(convert(Array("a b".utf16) + [0, 0x41]) == Array("a b".utf8))  // stops at NUL
        #expect(convert(Array("😀".utf16)) == Array("😀".utf8))  // a surrogate pair
        #expect(convert([0xD800, 0x41]) == Array("?A".utf8))  // a lone surrogate
        #expect(convert(Array(String(repeating: "x", count: 3000).utf16)).count == 2047)
        #expect(convert(Array("ab€".utf16), limit: 5) == Array("ab".utf8))  // "€" (3 bytes) would not fit whole
        #expect(convert([], limit: 16) == [])
    }
}
