/// LZ4 as the kernel's payload carries it: the legacy frame (magic 0x184C2102, then blocks of a little-endian
/// compressed size and an LZ4 block, every block but the last decoding to exactly 8 MiB). Heap-free and
/// bounds-checked by explicit guards, so the same code is safe in the freestanding stub (where unsafe-pointer
/// subscripts are not checked) and on the host.
public enum LZ4 {
    public static let legacyMagic: UInt32 = 0x184C_2102
    public static let legacyBlockSize = 8 << 20

    /// Decodes a whole legacy frame into `output`; returns the bytes written.
    public static func decodeLegacyFrame(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        throws(DecodeError) -> Int
    {
        guard input.count >= 4 else { throw .truncated }
        guard readLE32(input, 0) == legacyMagic else { throw .badHeader }
        var at = 4, written = 0
        while at < input.count {
            guard input.count - at >= 4 else { throw .truncated }
            let length = Int(readLE32(input, at))
            at += 4
            guard length <= input.count - at else { throw .truncated }
            let room = min(legacyBlockSize, output.count - written)
            let block = UnsafeRawBufferPointer(rebasing: input[at..<at + length])
            let target = UnsafeMutableRawBufferPointer(rebasing: output[written..<written + room])
            let produced = try decodeBlock(block, into: target)
            // Every block but the last must fill its 8 MiB: the boot decoder assumes it.
            if at + length < input.count && produced != legacyBlockSize { throw .sizeMismatch }
            written += produced
            at += length
        }
        return written
    }

    /// Decodes one LZ4 block; returns the bytes written.
    public static func decodeBlock(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        throws(DecodeError) -> Int
    {
        var i = 0, o = 0
        let src = input, dst = output
        while i < src.count {
            reportProgress(src, i, dst, o)
            let token = src[i]
            i += 1
            var literals = Int(token >> 4)
            if literals == 15 { literals += try readLength(src, &i) }
            guard literals <= src.count - i else { throw .truncated }
            guard literals <= dst.count - o else { throw .outputOverflow }
            if literals > 0 {
                dst.baseAddress!.advanced(by: o).copyMemory(from: src.baseAddress!.advanced(by: i), byteCount: literals)
            }
            i += literals
            o += literals
            if i == src.count { break }  // the last sequence has literals only
            guard src.count - i >= 2 else { throw .truncated }
            let offset = Int(src[i]) | Int(src[i + 1]) << 8
            i += 2
            guard offset > 0, offset <= o else { throw .badOffset }
            var length = Int(token & 15) + 4
            if length == 19 { length += try readLength(src, &i) }
            guard length <= dst.count - o else { throw .outputOverflow }
            copyMatch(dst.baseAddress!, from: o - offset, to: o, count: length)
            o += length
        }
        return o
    }

    /// LZ4's extended length: bytes of 255 continue it.
    @inline(__always)
    static func readLength(_ src: UnsafeRawBufferPointer, _ i: inout Int) throws(DecodeError) -> Int {
        var total = 0
        while true {
            guard i < src.count else { throw .truncated }
            let byte = src[i]
            i += 1
            total += Int(byte)
            if byte != 255 { return total }
        }
    }

    /// Copies a match forward byte by byte when it overlaps its source (offset < length repeats the pattern).
    @inline(__always)
    static func copyMatch(_ base: UnsafeMutableRawPointer, from source: Int, to target: Int, count: Int) {
        if target - source >= count {
            (base + target).copyMemory(from: base + source, byteCount: count)
        } else {
            var k = 0
            while k < count {
                (base + target + k).storeBytes(of: (base + source + k).load(as: UInt8.self), as: UInt8.self)
                k += 1
            }
        }
    }
}

@inline(__always)
func readLE32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
}
