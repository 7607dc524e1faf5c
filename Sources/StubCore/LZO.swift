/// The lzop file format as the kernel's `lzop -9` writes it (and as `unlzo` reads it), and the LZO1X decompressor
/// with the semantics of `lzo1x_decompress_safe`. Heap-free and bounds-checked by explicit guards, so the same
/// code is safe in the freestanding stub (where unsafe-pointer subscripts are not checked) and on the host.
public enum LZO {
    static let fAdler32D: UInt32 = 0x0001
    static let fAdler32C: UInt32 = 0x0002
    static let fExtraField: UInt32 = 0x0040
    static let fCRC32D: UInt32 = 0x0100
    static let fCRC32C: UInt32 = 0x0200
    static let fFilter: UInt32 = 0x0800
    static let fHeaderCRC32: UInt32 = 0x1000

    /// Decodes a whole lzop file (header, blocks, zero end mark) into `output`; returns the bytes written.
    /// Bytes after the end mark (the kernel payload's size trailer) are ignored.
    public static func decodeLzop(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        throws(DecodeError) -> Int
    {
        var reader = ByteReader(input)
        // Magic: 89 4C 5A 4F 00 0D 0A 1A 0A
        guard try reader.u32() == 0x894C_5A4F, try reader.u32() == 0x000D_0A1A, try reader.u8() == 0x0A else {
            throw .badHeader
        }
        let headerStart = reader.at
        let version = try reader.u16()
        _ = try reader.u16()  // library version
        if version >= 0x0940 {
            let needed = try reader.u16()
            guard needed <= 0x1040 else { throw .badHeader }  // needs a newer lzop than the format we know
        }
        let method = try reader.u8()
        guard method >= 1 && method <= 3 else { throw .badHeader }  // LZO1X-1, LZO1X-1(15), LZO1X-999
        if version >= 0x0940 { _ = try reader.u8() }  // level
        let flags = try reader.u32()
        guard flags & fFilter == 0 else { throw .badHeader }
        _ = try reader.u32()  // mode
        _ = try reader.u32()  // mtime, low
        if version >= 0x0940 { _ = try reader.u32() }  // mtime, high
        let nameLength = Int(try reader.u8())
        try reader.skip(nameLength)
        let headerBytes = UnsafeRawBufferPointer(rebasing: input[headerStart..<reader.at])
        let headerChecksum = try reader.u32()
        let expected = flags & fHeaderCRC32 != 0 ? CRC32.zlib(headerBytes) : adler32(headerBytes)
        guard headerChecksum == expected else { throw .checksum }
        if flags & fExtraField != 0 {
            let length = Int(try reader.u32())
            try reader.skip(length)
            _ = try reader.u32()  // its checksum
        }

        var written = 0
        while true {
            reportProgress(input, reader.at, output, written)
            let length = Int(try reader.u32())
            if length == 0 { return written }
            let packed = Int(try reader.u32())
            guard packed <= length else { throw .badHeader }
            var adlerD: UInt32 = 0, crcD: UInt32 = 0, adlerC: UInt32 = 0, crcC: UInt32 = 0
            if flags & fAdler32D != 0 { adlerD = try reader.u32() }
            if flags & fCRC32D != 0 { crcD = try reader.u32() }
            if packed < length {
                if flags & fAdler32C != 0 { adlerC = try reader.u32() }
                if flags & fCRC32C != 0 { crcC = try reader.u32() }
            }
            guard packed <= input.count - reader.at else { throw .truncated }
            guard length <= output.count - written else { throw .outputOverflow }
            let source = UnsafeRawBufferPointer(rebasing: input[reader.at..<reader.at + packed])
            let target = UnsafeMutableRawBufferPointer(rebasing: output[written..<written + length])
            if packed == length {
                if length > 0 { target.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: length) }
            } else {
                if flags & fAdler32C != 0 { guard adler32(source) == adlerC else { throw .checksum } }
                if flags & fCRC32C != 0 { guard CRC32.zlib(source) == crcC else { throw .checksum } }
                guard try decompress(source, into: target) == length else { throw .sizeMismatch }
            }
            let block = UnsafeRawBufferPointer(target)
            if flags & fAdler32D != 0 { guard adler32(block) == adlerD else { throw .checksum } }
            if flags & fCRC32D != 0 { guard CRC32.zlib(block) == crcD else { throw .checksum } }
            written += length
            reader.at += packed
        }
    }

    /// Decodes one LZO1X block as `lzo1x_decompress_safe` does; returns the bytes written. The block must end with
    /// the end-of-stream marker (an M4 match of distance 0) exactly at the end of `input`.
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        throws(DecodeError) -> Int
    {
        let src = input, dst = output
        var i = 0, o = 0
        // What the previous instruction left: 0 after a match with no trailing literals (or at the start),
        // 1–3 after that many trailing literals, 4 after a literal run of 4 or more. It selects how an
        // instruction below 16 reads.
        var state = 0
        guard src.count > 0 else { throw .truncated }
        if src[0] > 17 {  // the first literal run, its length in the first byte
            let count = Int(src[0]) - 17
            i = 1
            try copyLiterals(src, &i, dst, &o, count)
            state = count < 4 ? count : 4
        }
        while true {
            reportProgress(src, i, dst, o)
            guard i < src.count else { throw .truncated }
            let t = Int(src[i])
            i += 1
            var distance: Int, length: Int
            if t < 16 {
                if state == 0 {  // a literal run of 4 or more
                    var count = t
                    if count == 0 { count = 15 + (try extendedLength(src, &i)) }
                    try copyLiterals(src, &i, dst, &o, count + 3)
                    state = 4
                    continue
                }
                // M1: a 2-byte match after 1–3 literals, or a 3-byte match reaching past 2 KiB after a long run.
                guard i < src.count else { throw .truncated }
                distance = 1 + (t >> 2) + (Int(src[i]) << 2)
                i += 1
                if state == 4 {
                    distance += 0x800
                    length = 3
                } else {
                    length = 2
                }
                state = t & 3
            } else if t >= 64 {  // M2: 3–8 bytes within 2 KiB
                guard i < src.count else { throw .truncated }
                distance = 1 + ((t >> 2) & 7) + (Int(src[i]) << 3)
                i += 1
                length = (t >> 5) + 1
                state = t & 3
            } else if t >= 32 {  // M3: within 16 KiB
                length = t & 31
                if length == 0 { length = 31 + (try extendedLength(src, &i)) }
                length += 2
                guard src.count - i >= 2 else { throw .truncated }
                let word = Int(src[i]) | Int(src[i + 1]) << 8
                i += 2
                distance = 1 + (word >> 2)
                state = word & 3
            } else {  // M4: 16–48 KiB, or the end marker
                length = t & 7
                if length == 0 { length = 7 + (try extendedLength(src, &i)) }
                length += 2
                guard src.count - i >= 2 else { throw .truncated }
                let word = Int(src[i]) | Int(src[i + 1]) << 8
                i += 2
                distance = ((t & 8) << 11) + (word >> 2)
                if distance == 0 {  // end of stream
                    guard i == src.count else { throw .badHeader }  // input not consumed
                    return o
                }
                distance += 0x4000
                state = word & 3
            }
            guard distance <= o else { throw .badOffset }
            guard length <= dst.count - o else { throw .outputOverflow }
            LZ4.copyMatch(dst.baseAddress!, from: o - distance, to: o, count: length)
            o += length
            if state > 0 { try copyLiterals(src, &i, dst, &o, state) }
        }
    }

    @inline(__always)
    static func copyLiterals(_ src: UnsafeRawBufferPointer, _ i: inout Int, _ dst: UnsafeMutableRawBufferPointer,
                             _ o: inout Int, _ count: Int) throws(DecodeError)
    {
        guard count <= src.count - i else { throw .truncated }
        guard count <= dst.count - o else { throw .outputOverflow }
        if count > 0 { dst.baseAddress!.advanced(by: o).copyMemory(from: src.baseAddress!.advanced(by: i), byteCount: count) }
        i += count
        o += count
    }

    /// LZO's extended length: each zero byte adds 255, the first non-zero byte ends it and is added.
    @inline(__always)
    static func extendedLength(_ src: UnsafeRawBufferPointer, _ i: inout Int) throws(DecodeError) -> Int {
        var total = 0
        while true {
            guard i < src.count else { throw .truncated }
            let byte = src[i]
            i += 1
            if byte != 0 { return total + Int(byte) }
            total += 255
        }
    }

    /// Adler-32 (RFC 1950), starting from 1 as lzop does.
    public static func adler32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var at = 0
        while at < bytes.count {
            let end = at + min(5552, bytes.count - at)  // the most bytes before b can overflow
            while at < end {
                a &+= UInt32(bytes[at])
                b &+= a
                at += 1
            }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }
}

/// Big-endian reads over the input, each one guarded.
struct ByteReader {
    let input: UnsafeRawBufferPointer
    var at = 0

    init(_ input: UnsafeRawBufferPointer) { self.input = input }

    mutating func u8() throws(DecodeError) -> UInt8 {
        guard at < input.count else { throw .truncated }
        at += 1
        return input[at - 1]
    }

    mutating func u16() throws(DecodeError) -> UInt16 {
        guard input.count - at >= 2 else { throw .truncated }
        at += 2
        return UInt16(input[at - 2]) << 8 | UInt16(input[at - 1])
    }

    mutating func u32() throws(DecodeError) -> UInt32 {
        guard input.count - at >= 4 else { throw .truncated }
        at += 4
        return UInt32(input[at - 4]) << 24 | UInt32(input[at - 3]) << 16 | UInt32(input[at - 2]) << 8
            | UInt32(input[at - 1])
    }

    mutating func skip(_ count: Int) throws(DecodeError) {
        guard count <= input.count - at else { throw .truncated }
        at += count
    }
}
