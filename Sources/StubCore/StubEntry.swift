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

#endif
