/// Physical KASLR under UEFI, as the kernel's stub does it (`efi_random_alloc`): the init_size buffer goes to a
/// kernel_alignment slot of EfiConventionalMemory at or above LOAD_PHYSICAL_ADDR — a random one, chosen by
/// EFI_RNG_PROTOCOL's bytes mixed with the boot code's seed (the TSC), or the lowest with `nokaslr` (seed 0).
enum EFIPhysicalKASLR {
    /// 3152bca5-eade-433d-862e-c01cdc291f44
    static var rngProtocol: EFI.GUID { EFI.GUID(0x3152_BCA5, 0xEADE, 0x433D, 0x862E_C01C_DC29_1F44) }
    static var getRNG: Int { 8 }

    /// The buffer's address, or nil to place it the plain way (no memory map, no slot, a refusal).
    static func place(_ firmware: EFIFirmware, _ needs: KernelBufferNeeds, bootParams: UnsafeRawPointer, seed: UInt64)
        -> UInt64?
    {
        let random = EFICommandLine.has(bootParams, "nokaslr") ? 0 : seed ^ (firmwareRandom(firmware) ?? 0)
        var map = EFIMemoryMapBuffer()
        guard (try? map.allocate(firmware)) != nil, !EFI.StatusCode.isError(map.read(firmware)) else { return nil }
        var slots = PhysicalSlots(size: (UInt64(needs.initSize) &+ 0xFFF) & ~0xFFF, alignment: needs.alignment,
                                  minimum: needs.loadAddress)
        map.forEachConventional { slots.add(start: $0, end: $1) }
        guard slots.count > 0 else { return nil }
        var index = slots.pick(random >> 32 ^ random)
        var chosen: UInt64?
        map.forEachConventional { start, end in
            if chosen == nil { chosen = slots.address(of: &index, start: start, end: end) }
        }
        guard let address = chosen else { return nil }
        return firmware.allocatePages(EFI.AllocateType.address, EFI.MemoryType.loaderCode,
                                      pages: Int(slots.size) / EFI.pageSize, address: address)
    }

    /// 8 bytes from EFI_RNG_PROTOCOL's default algorithm, when the firmware has one.
    static func firmwareRandom(_ firmware: EFIFirmware) -> UInt64? {
        guard let rng = firmware.locateProtocol(rngProtocol) else { return nil }
        var value: UInt64 = 0
        let status = withUnsafeMutablePointer(to: &value) {
            firmware.invoke(rng, getRNG, 0, 8, word($0))
        }
        return EFI.StatusCode.isError(status) ? nil : value
    }
}

extension EFIMemoryMapBuffer {
    /// [start, end) of every EfiConventionalMemory descriptor, in map order.
    func forEachConventional(_ body: (UInt64, UInt64) -> Void) {
        for i in 0..<count {
            let d = UnsafeRawPointer(buffer) + i &* descriptorSize
            guard d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.type, as: UInt32.self) == EFI.MemoryType.conventional
            else { continue }
            let start = d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.physicalStart, as: UInt64.self)
            let pages = d.loadUnaligned(fromByteOffset: EFI.MemoryDescriptor.numberOfPages, as: UInt64.self)
            body(start, start &+ pages &* UInt64(EFI.pageSize))
        }
    }
}
