/// The `initrd=` option read from the image's own file system, as the kernel's stub does when no loader offers a
/// LoadFile2 initrd (`file.c: handle_cmdline_files`): each `initrd=PATH` of the command line, in order, opened on
/// the volume of LoadedImage's DeviceHandle (EFI_SIMPLE_FILE_SYSTEM_PROTOCOL → OpenVolume → Open), sized from its
/// EFI_FILE_INFO and read into one LoaderData allocation below initrd_addr_max — several files concatenated, as
/// the kernel unpacks them. Firmware boot entries and systemd-boot's `efi` entries pass an initrd only this way.
enum EFIFileInitrd {
    /// EFI_FILE_INFO's fixed part (80 bytes) and a name of up to 255 UCS-2 units (the kernel's limit). The path
    /// to open is put where GetInfo writes the name, so one buffer serves both.
    typealias Info = InlineArray<74, UInt64>
    static var nameUnits: Int { 256 }
    /// Bytes per Read: the kernel's stub reads 1 MiB at a time on x86, as some firmware fails larger reads.
    static var chunk: Int { 0x10_0000 }

    static func load(_ firmware: EFIFirmware, loaded: UnsafeRawPointer, bootParams: UnsafeMutableRawPointer)
        throws(EFIBoot.Failure)
    {
        var info = Info(repeating: 0)
        var volume: UnsafeRawPointer?
        var files = Files()
        defer { if let volume { _ = firmware.invoke(volume, EFI.File.close) } }
        do throws(EFIBoot.Failure) {
            try withUnsafeMutablePointer(to: &info) { (info) throws(EFIBoot.Failure) in
                let name = UnsafeMutableRawPointer(info) + EFI.File.infoFileName
                try EFICommandLine.forEachOption(bootParams) { (option, length) throws(EFIBoot.Failure) in
                    guard EFICommandLine.hasPrefix(option, length, "initrd=") else { return }
                    guard EFICommandLine.filePath(option + 7, length: length &- 7, into: name, capacity: nameUnits) else {
                        throw .initrdFileNotFound(EFI.StatusCode.invalidParameter)
                    }
                    if volume == nil { volume = try openVolume(firmware, loaded: loaded) }
                    var handle: UInt64 = 0
                    let opened = withUnsafeMutablePointer(to: &handle) {
                        firmware.invoke(volume!, EFI.File.open, word($0), word(name), EFI.File.modeRead)
                    }
                    guard !EFI.StatusCode.isError(opened), let file = UnsafeRawPointer(bitPattern: UInt(handle)) else {
                        throw .initrdFileNotFound(opened)
                    }
                    let status = files.append(firmware, file, info: info, bootParams: bootParams)
                    _ = firmware.invoke(file, EFI.File.close)
                    guard !EFI.StatusCode.isError(status) else { throw .initrdFileRead(status) }
                }
            }
        } catch {
            if files.pages > 0 { firmware.freePages(files.address, pages: files.pages) }
            throw error
        }
        if files.size > 0 { EFIInitrd.setRamdisk(bootParams, address: files.address, size: files.size) }
    }

    /// The root directory of the file system the image was loaded from.
    static func openVolume(_ firmware: EFIFirmware, loaded: UnsafeRawPointer) throws(EFIBoot.Failure) -> UnsafeRawPointer {
        let device = loaded.loadUnaligned(fromByteOffset: EFI.LoadedImage.deviceHandle, as: UInt64.self)
        guard let fileSystem = firmware.handleProtocol(device, .simpleFileSystem) else {
            throw .initrdFileNotFound(EFI.StatusCode.unsupported)
        }
        var root: UInt64 = 0
        let status = withUnsafeMutablePointer(to: &root) { firmware.invoke(fileSystem, EFI.SimpleFileSystem.openVolume, word($0)) }
        guard !EFI.StatusCode.isError(status), let volume = UnsafeRawPointer(bitPattern: UInt(root)) else {
            throw .initrdFileNotFound(status)
        }
        return volume
    }

    /// The files read so far: `size` bytes at `address`, in an allocation of `pages`.
    struct Files {
        var address: UInt64 = 0, size = 0, pages = 0

        /// Appends the open `file`, moving what came before to a larger allocation when it does not fit.
        mutating func append(_ firmware: EFIFirmware, _ file: UnsafeRawPointer, info: UnsafeMutablePointer<Info>,
                             bootParams: UnsafeRawPointer) -> EFI.Status
        {
            var infoSize = MemoryLayout<Info>.size
            let got = firmware.withGUID(.fileInfo) { guid in
                withUnsafeMutablePointer(to: &infoSize) { firmware.invoke(file, EFI.File.getInfo, guid, word($0), word(info)) }
            }
            guard !EFI.StatusCode.isError(got) else { return got }
            let length = Int(UnsafeRawPointer(info).loadUnaligned(fromByteOffset: EFI.File.infoFileSize, as: UInt64.self))
            let needed = EFIInitrd.pageCount(size &+ length)
            if needed > pages {
                guard let larger = EFIInitrd.allocate(firmware, pages: needed, bootParams: bootParams) else {
                    return EFI.StatusCode.outOfResources
                }
                if pages > 0 {
                    UnsafeMutableRawPointer(bitPattern: UInt(larger))!.copyMemory(
                        from: UnsafeRawPointer(bitPattern: UInt(address))!, byteCount: size)
                    firmware.freePages(address, pages: pages)
                }
                address = larger
                pages = needed
            }
            var done = 0
            while done < length {
                var count = min(chunk, length &- done)
                let status = withUnsafeMutablePointer(to: &count) {
                    firmware.invoke(file, EFI.File.read, word($0), address &+ UInt64(size &+ done))
                }
                guard !EFI.StatusCode.isError(status) else { return status }
                guard count > 0 else { return EFI.StatusCode.loadError }  // shorter than its EFI_FILE_INFO said
                done &+= count
            }
            size &+= length
            return EFI.StatusCode.success
        }
    }
}
