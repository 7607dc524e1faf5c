// memset, memcpy and memmove for the freestanding stub, which has no C library; compiled only into it.
#if STUB_FREESTANDING

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
