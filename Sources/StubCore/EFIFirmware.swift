/// The firmware as the EFI entry sees it: the system table and its boot services, reached through one call
/// function. At boot that is the boot code's thunk from the stub's System V ABI to the firmware's Microsoft x64
/// ABI (shadow space, stack alignment); on the host it is a fake firmware's dispatcher, so the logic above it is
/// tested unchanged.
public struct EFIFirmware {
    /// `call(function, a1, a2, a3, a4, a5)`: calls the firmware function at `function` with five arguments
    /// (every service the stub uses takes five or fewer) and returns its EFI_STATUS.
    public typealias Call = @convention(c) (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) -> UInt64

    public let call: Call
    public let imageHandle: UInt64
    public let systemTable: UnsafeRawPointer
    let bootServices: UnsafeRawPointer

    /// nil when `systemTable` does not carry the system table's signature.
    public init?(call: Call, imageHandle: UInt64, systemTable: UnsafeRawPointer) {
        guard systemTable.loadUnaligned(as: UInt64.self) == EFI.SystemTable.signature,
              let services = systemTable.loadUnaligned(fromByteOffset: EFI.SystemTable.bootServices, as: UnsafeRawPointer?.self)
        else { return nil }
        self.call = call
        self.imageHandle = imageHandle
        self.systemTable = systemTable
        bootServices = services
    }

    /// A boot service by its offset in EFI_BOOT_SERVICES.
    func service(_ offset: Int, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0, _ e: UInt64 = 0)
        -> EFI.Status
    {
        call(bootServices.loadUnaligned(fromByteOffset: offset, as: UInt64.self), a, b, c, d, e)
    }

    /// A protocol's function by its offset in `interface`, with the interface as its first argument (This).
    func invoke(_ interface: UnsafeRawPointer, _ offset: Int, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0,
              _ e: UInt64 = 0) -> EFI.Status
    {
        call(interface.loadUnaligned(fromByteOffset: offset, as: UInt64.self), word(interface), b, c, d, e)
    }

    /// AllocatePages: `address` is the limit (maxAddress), the place (address) or ignored (anyPages); the
    /// allocation's start on success.
    func allocatePages(_ type: UInt64, _ memoryType: UInt32, pages: Int, address: UInt64) -> UInt64? {
        var result = address
        let status = withUnsafeMutablePointer(to: &result) {
            service(EFI.BootServices.allocatePages, type, UInt64(memoryType), UInt64(pages), word($0))
        }
        return EFI.StatusCode.isError(status) ? nil : result
    }

    /// AllocatePool: `bytes` of `memoryType`, or nil.
    func allocatePool(_ memoryType: UInt32, bytes: Int) -> UnsafeMutableRawPointer? {
        var pool: UInt64 = 0
        let status = withUnsafeMutablePointer(to: &pool) {
            service(EFI.BootServices.allocatePool, UInt64(memoryType), UInt64(bytes), word($0))
        }
        return EFI.StatusCode.isError(status) ? nil : UnsafeMutableRawPointer(bitPattern: UInt(pool))
    }

    func freePages(_ address: UInt64, pages: Int) {
        _ = service(EFI.BootServices.freePages, address, UInt64(pages))
    }

    /// HandleProtocol(handle, guid): the interface, or nil.
    func handleProtocol(_ handle: UInt64, _ guid: EFI.GUID) -> UnsafeRawPointer? {
        withGUID(guid) { guidAddress in
            var interface: UInt64 = 0
            let status = withUnsafeMutablePointer(to: &interface) {
                service(EFI.BootServices.handleProtocol, handle, guidAddress, word($0))
            }
            return EFI.StatusCode.isError(status) ? nil : UnsafeRawPointer(bitPattern: UInt(interface))
        }
    }

    /// LocateProtocol(guid): the first interface, or nil.
    func locateProtocol(_ guid: EFI.GUID) -> UnsafeRawPointer? {
        withGUID(guid) { guidAddress in
            var interface: UInt64 = 0
            let status = withUnsafeMutablePointer(to: &interface) {
                service(EFI.BootServices.locateProtocol, guidAddress, 0, word($0))
            }
            return EFI.StatusCode.isError(status) ? nil : UnsafeRawPointer(bitPattern: UInt(interface))
        }
    }

    /// Prints ASCII text (LF becomes CR LF) on the firmware's console, ConOut, in chunks of a small UTF-16 buffer.
    public func print(_ text: UnsafeRawBufferPointer) {
        guard let conOut = systemTable.loadUnaligned(fromByteOffset: EFI.SystemTable.conOut, as: UnsafeRawPointer?.self)
        else { return }
        let outputString = conOut.loadUnaligned(fromByteOffset: EFI.SimpleTextOutput.outputString, as: UInt64.self)
        var chunk = InlineArray<66, UInt16>(repeating: 0)
        var used = 0
        func flush() {
            chunk[used] = 0
            withUnsafeMutablePointer(to: &chunk) { _ = call(outputString, word(conOut), word($0), 0, 0, 0) }
            used = 0
        }
        for byte in text {
            if byte == 0x0A { chunk[used] = 0x0D; used &+= 1 }
            chunk[used] = UInt16(byte)
            used &+= 1
            if used >= 64 { flush() }
        }
        if used > 0 { flush() }
    }

    /// `body` with the address of `guid` in memory, as the firmware's calls take it.
    func withGUID<R>(_ guid: EFI.GUID, _ body: (UInt64) -> R) -> R {
        var bytes = (guid.low, guid.high)
        return withUnsafeMutablePointer(to: &bytes) { body(word($0)) }
    }
}

/// A pointer as the 64-bit word a firmware call takes.
@inline(__always)
func word<T>(_ pointer: UnsafeMutablePointer<T>) -> UInt64 { UInt64(UInt(bitPattern: pointer)) }

@inline(__always)
func word(_ pointer: UnsafeRawPointer) -> UInt64 { UInt64(UInt(bitPattern: pointer)) }
