// The C-callable entry points the boot code calls; compiled only into the freestanding stub.
#if STUB_FREESTANDING

/// Decodes an LZ4 legacy frame; returns the bytes written, or a BootFailure status (host tests of the
/// freestanding LZ4 code; linked into the lz4 stub only).
@_cdecl("stub_lz4_legacy")
public func stubLZ4Legacy(_ input: UnsafeRawPointer, _ inputLength: Int, _ output: UnsafeMutableRawPointer,
                          _ outputLength: Int) -> Int {
    do {
        return try LZ4.decodeLegacyFrame(UnsafeRawBufferPointer(start: input, count: inputLength),
                                         into: UnsafeMutableRawBufferPointer(start: output, count: outputLength))
    } catch {
        return BootFailure(error).status
    }
}

// One entry per format: the plugin links seven stubs from one object, each with `-e stub_boot_<format>`, so
// --gc-sections keeps only that format's decoder (the boot code stays small).
@_cdecl("stub_boot_lz4")
public func stubBootLZ4(_ payload: UnsafeRawPointer, _ payloadLength: Int, _ output: UnsafeMutableRawPointer,
                        _ capacity: Int, _ workspace: UnsafeMutableRawPointer, _ parameters: UnsafeRawPointer) -> Int {
    stubBoot(.lz4, payload, payloadLength, output, capacity, workspace, parameters)
}

@_cdecl("stub_boot_gzip")
public func stubBootGzip(_ payload: UnsafeRawPointer, _ payloadLength: Int, _ output: UnsafeMutableRawPointer,
                         _ capacity: Int, _ workspace: UnsafeMutableRawPointer, _ parameters: UnsafeRawPointer) -> Int {
    stubBoot(.gzip, payload, payloadLength, output, capacity, workspace, parameters)
}

@_cdecl("stub_boot_bzip2")
public func stubBootBzip2(_ payload: UnsafeRawPointer, _ payloadLength: Int, _ output: UnsafeMutableRawPointer,
                          _ capacity: Int, _ workspace: UnsafeMutableRawPointer, _ parameters: UnsafeRawPointer) -> Int {
    stubBoot(.bzip2, payload, payloadLength, output, capacity, workspace, parameters)
}

@_cdecl("stub_boot_lzma")
public func stubBootLZMA(_ payload: UnsafeRawPointer, _ payloadLength: Int, _ output: UnsafeMutableRawPointer,
                         _ capacity: Int, _ workspace: UnsafeMutableRawPointer, _ parameters: UnsafeRawPointer) -> Int {
    stubBoot(.lzma, payload, payloadLength, output, capacity, workspace, parameters)
}

@_cdecl("stub_boot_xz")
public func stubBootXZ(_ payload: UnsafeRawPointer, _ payloadLength: Int, _ output: UnsafeMutableRawPointer,
                       _ capacity: Int, _ workspace: UnsafeMutableRawPointer, _ parameters: UnsafeRawPointer) -> Int {
    stubBoot(.xz, payload, payloadLength, output, capacity, workspace, parameters)
}

@_cdecl("stub_boot_lzo")
public func stubBootLZO(_ payload: UnsafeRawPointer, _ payloadLength: Int, _ output: UnsafeMutableRawPointer,
                        _ capacity: Int, _ workspace: UnsafeMutableRawPointer, _ parameters: UnsafeRawPointer) -> Int {
    stubBoot(.lzo, payload, payloadLength, output, capacity, workspace, parameters)
}

@_cdecl("stub_boot_zstd")
public func stubBootZstd(_ payload: UnsafeRawPointer, _ payloadLength: Int, _ output: UnsafeMutableRawPointer,
                         _ capacity: Int, _ workspace: UnsafeMutableRawPointer, _ parameters: UnsafeRawPointer) -> Int {
    stubBoot(.zstd, payload, payloadLength, output, capacity, workspace, parameters)
}

/// The boot stub's whole job after the entry code: check the payload's XXH64, decode it into `output`, place
/// the kernel's segments there, apply the relocation table for `delta`, and return the kernel entry's offset from
/// `output` — or `BootFailure.status` (the entry code prints it and halts).
///   `payload`/`payloadLength`: the payload as stored, size trailer included.
///   `capacity`: bytes usable from `output` (up to the moved stub image); the workspace holds
///   `format.bootWorkspaceSize` bytes, 8-byte aligned.
@inline(__always)
func stubBoot(_ format: PayloadFormat, _ payload: UnsafeRawPointer, _ payloadLength: Int,
              _ output: UnsafeMutableRawPointer, _ capacity: Int, _ workspace: UnsafeMutableRawPointer,
              _ parameters: UnsafeRawPointer) -> Int
{
    let p = BootParameters(reading: parameters)
    guard p.format == format.rawValue else { return BootFailure.wrongFormat.status }
    let stored = UnsafeRawBufferPointer(start: payload, count: payloadLength)
    let area = UnsafeMutableRawBufferPointer(start: workspace, count: format.bootWorkspaceSize)
    guard PayloadCheck.digest(stored) == p.payloadDigest else { return BootFailure.payloadDamaged.status }
    guard p.outputLength <= capacity else { return BootFailure.outputOverflow.status }
    // gzip ends with its own ISIZE; the others' size trailer is not part of their stream.
    let input = UnsafeRawBufferPointer(start: payload, count: payloadLength - format.sizeTrailerLength)
    let decoded = UnsafeMutableRawBufferPointer(start: output, count: p.outputLength)
    let produced: Int
    do throws(DecodeError) {
        produced = try format.decode(input, into: decoded, workspace: area)
        guard produced == p.outputLength else { throw .sizeMismatch }
    } catch {
        return BootFailure(error).status
    }
    let buffer = UnsafeMutableRawBufferPointer(start: output, count: capacity)
    do throws(KernelPlacement.Failure) {
        let placed = try KernelPlacement.placeSegments(buffer, elfSize: produced, loadAddress: p.loadAddress)
        try KernelPlacement.relocate(buffer, tableEnd: produced, kernelEnd: placed.end, loadAddress: p.loadAddress,
                                     delta: p.delta, hasInverseTable: p.inverseTable != 0)
        return Int(placed.entry)
    } catch {
        return BootFailure(error).status
    }
}

// What the compiler's generated code calls; the stub has no C library. Built with loop-idiom recognition off,
// so these loops are not turned back into calls to themselves. 32 bytes a loop (four words, all read before any is
// written): the kernel's segments (50 MB) move through memmove at boot, and under emulation every instruction
// counts. Wrapping arithmetic: the counts are sizes of real buffers.
@_cdecl("memset")
public func stubMemset(_ destination: UnsafeMutableRawPointer, _ value: Int32, _ count: Int) -> UnsafeMutableRawPointer {
    let byte = UInt8(truncatingIfNeeded: value)
    let word = UInt64(byte) &* 0x0101_0101_0101_0101
    var i = 0
    while count &- i >= 32 {
        (destination + i).storeBytes(of: word, as: UInt64.self)
        (destination + i).storeBytes(of: word, toByteOffset: 8, as: UInt64.self)
        (destination + i).storeBytes(of: word, toByteOffset: 16, as: UInt64.self)
        (destination + i).storeBytes(of: word, toByteOffset: 24, as: UInt64.self)
        i &+= 32
    }
    while count &- i >= 8 { (destination + i).storeBytes(of: word, as: UInt64.self); i &+= 8 }
    while i < count { (destination + i).storeBytes(of: byte, as: UInt8.self); i &+= 1 }
    return destination
}

/// Forwards; also what memmove uses whenever reading ahead of the writes is safe.
@_cdecl("memcpy")
public func stubMemcpy(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) -> UnsafeMutableRawPointer {
    var i = 0
    while count &- i >= 32 {
        copy32(destination + i, source + i)
        i &+= 32
    }
    while count &- i >= 8 {
        (destination + i).storeBytes(of: (source + i).loadUnaligned(as: UInt64.self), as: UInt64.self)
        i &+= 8
    }
    while i < count { (destination + i).storeBytes(of: (source + i).load(as: UInt8.self), as: UInt8.self); i &+= 1 }
    return destination
}

@_cdecl("memmove")
public func stubMemmove(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) -> UnsafeMutableRawPointer {
    // Forwards is safe when the destination is below the source or the ranges do not overlap; block copies
    // forwards read each 32-byte block before any store that could reach it only when the distance is at least 32.
    let distance = UnsafeRawPointer(destination) - source
    if distance == 0 { return destination }
    if distance <= -32 || distance >= count {
        return stubMemcpy(destination, source, count)
    }
    if distance < 0 {  // less than a block below: bytewise forwards
        var i = 0
        while i < count { (destination + i).storeBytes(of: (source + i).load(as: UInt8.self), as: UInt8.self); i &+= 1 }
        return destination
    }
    // Backwards; blocks when the destination is at least a block above the source.
    var i = count
    if distance >= 32 {
        while i >= 32 {
            i &-= 32
            copy32(destination + i, source + i)
        }
    }
    while i > 0 { i &-= 1; (destination + i).storeBytes(of: (source + i).load(as: UInt8.self), as: UInt8.self) }
    return destination
}

/// 32 bytes: four words loaded, then stored.
@inline(__always)
func copy32(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer) {
    let a = source.loadUnaligned(as: UInt64.self), b = source.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
    let c = source.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
    let d = source.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    destination.storeBytes(of: a, as: UInt64.self)
    destination.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
    destination.storeBytes(of: c, toByteOffset: 16, as: UInt64.self)
    destination.storeBytes(of: d, toByteOffset: 24, as: UInt64.self)
}
#endif
