// The C-callable entry points the boot code calls; compiled only into the freestanding stub.
#if STUB_FREESTANDING

/// Decodes an LZ4 legacy frame; returns the bytes written, or −1 − the DecodeError's index.
@_cdecl("stub_lz4_legacy")
public func stubLZ4Legacy(_ input: UnsafeRawPointer, _ inputLength: Int, _ output: UnsafeMutableRawPointer,
                          _ outputLength: Int) -> Int {
    do {
        return try LZ4.decodeLegacyFrame(UnsafeRawBufferPointer(start: input, count: inputLength),
                                         into: UnsafeMutableRawBufferPointer(start: output, count: outputLength))
    } catch {
        return -1 - error.code
    }
}

/// The boot stub's whole job after the entry code: decode the payload into `output`, place the kernel's segments
/// there, apply the relocation table for `delta`, and return the kernel entry's offset from `output` — or a
/// negative status: −1 − DecodeError code, −100 − placement failure (the entry code prints it and halts).
///   `capacity`: bytes usable from `output` (up to the moved stub image); the workspace holds
///   `PayloadFormat.workspaceSize` bytes, 8-byte aligned.
@_cdecl("stub_boot")
public func stubBoot(_ payload: UnsafeRawPointer, _ payloadLength: Int, _ output: UnsafeMutableRawPointer,
                     _ capacity: Int, _ workspace: UnsafeMutableRawPointer, _ parameters: UnsafeRawPointer) -> Int
{
    let p = BootParameters(reading: parameters)
    guard p.outputLength <= capacity else { return -1 - DecodeError.outputOverflow.code }
    let input = UnsafeRawBufferPointer(start: payload, count: payloadLength)
    let decoded = UnsafeMutableRawBufferPointer(start: output, count: p.outputLength)
    let produced: Int
    do throws(DecodeError) {
        guard let format = PayloadFormat(rawValue: p.format) else { throw .badHeader }
        produced = try format.decode(input, into: decoded,
                                     workspace: UnsafeMutableRawBufferPointer(start: workspace, count: format.workspaceSize))
        guard produced == p.outputLength else { throw .sizeMismatch }
    } catch {
        return -1 - error.code
    }
    let buffer = UnsafeMutableRawBufferPointer(start: output, count: capacity)
    do throws(KernelPlacement.Failure) {
        let placed = try KernelPlacement.placeSegments(buffer, elfSize: produced, loadAddress: p.loadAddress)
        try KernelPlacement.relocate(buffer, tableEnd: produced, kernelEnd: placed.end, loadAddress: p.loadAddress,
                                     delta: p.delta, hasInverseTable: p.inverseTable != 0)
        return Int(placed.entry)
    } catch {
        return -100 - error.code
    }
}

extension KernelPlacement.Failure {
    var code: Int {
        switch self {
        case .notELF: return 0
        case .badSegment: return 1
        case .relocationOutside: return 2
        case .badTable: return 3
        }
    }
}

extension DecodeError {
    var code: Int {
        switch self {
        case .truncated: return 0
        case .badHeader: return 1
        case .badOffset: return 2
        case .outputOverflow: return 3
        case .sizeMismatch: return 4
        case .checksum: return 5
        }
    }
}

// What the compiler's generated code calls; the stub has no C library. Built with loop-idiom recognition off,
// so these loops are not turned back into calls to themselves.
@_cdecl("memset")
public func stubMemset(_ destination: UnsafeMutableRawPointer, _ value: Int32, _ count: Int) -> UnsafeMutableRawPointer {
    var i = 0
    while i < count { (destination + i).storeBytes(of: UInt8(truncatingIfNeeded: value), as: UInt8.self); i += 1 }
    return destination
}

@_cdecl("memcpy")
public func stubMemcpy(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) -> UnsafeMutableRawPointer {
    var i = 0
    while i < count { (destination + i).storeBytes(of: (source + i).load(as: UInt8.self), as: UInt8.self); i += 1 }
    return destination
}

@_cdecl("memmove")
public func stubMemmove(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) -> UnsafeMutableRawPointer {
    if UnsafeRawPointer(destination) < source || UnsafeRawPointer(destination) >= source + count {
        return stubMemcpy(destination, source, count)
    }
    var i = count
    while i > 0 { i -= 1; (destination + i).storeBytes(of: (source + i).load(as: UInt8.self), as: UInt8.self) }
    return destination
}
#endif
