/// A bounds-checked, little-endian view of an immutable byte buffer (usually a memory-mapped file).
/// Every read names what it reads so that a failure says where the file is wrong.
public struct ByteView: @unchecked Sendable {
    public let buffer: UnsafeRawBufferPointer

    public init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    public var count: Int { buffer.count }

    /// Checks that `[offset, offset + length)` lies inside the buffer, without overflow.
    @inline(__always)
    public func check(_ what: @autoclosure () -> String, offset: UInt64, length: UInt64) throws(ELFError) {
        let size = UInt64(buffer.count)
        guard offset <= size, length <= size - offset else {
            throw .truncated(what: what(), offset: offset, length: length, fileSize: size)
        }
    }

    /// The bytes `[offset, offset + length)`, checked.
    public func slice(_ what: @autoclosure () -> String, offset: UInt64, length: UInt64) throws(ELFError)
        -> UnsafeRawBufferPointer
    {
        try check(what(), offset: offset, length: length)
        return UnsafeRawBufferPointer(rebasing: buffer[Int(offset)..<Int(offset + length)])
    }

    // Unchecked loads: callers check the enclosing record once, then read its fields.
    @inline(__always) func u8(_ at: Int) -> UInt8 { buffer[at] }
    @inline(__always) func u16(_ at: Int) -> UInt16 {
        UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }
    @inline(__always) func u32(_ at: Int) -> UInt32 {
        UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }
    @inline(__always) func u64(_ at: Int) -> UInt64 {
        UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }
}
