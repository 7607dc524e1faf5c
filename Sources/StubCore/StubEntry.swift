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
