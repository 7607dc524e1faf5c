import CLzo

/// LZO1X-999 in the lzop file format the kernel's `lzop -9` writes: lzop header (method 3, level 9, flags
/// OS_UNIX|STDOUT|STDIN|ADLER32_D), then 256 KiB blocks `BE32 ulen, BE32 clen, BE32 adler32(data)` + data (stored
/// when it does not shrink), a zero end mark, and the size trailer. The header's mtime is 0 so output is
/// reproducible (lzop writes the wall clock). Blocks are independent, so they compress in parallel.
enum LZO {
    static let magic: [UInt8] = [0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]
    static let blockSize = 256 << 10
    static let flags: UInt32 = 0x0300_000D

    static func initialize() throws(CompressionError) {
        guard clzo_init() == LZO_E_OK else { throw .library(.lzo, "lzo_init failed") }
    }

    static func header(level: Int) -> [UInt8] {
        var fields = [UInt8]()
        fields.appendBigEndian(UInt16(0x1040))                       // lzop version
        fields.appendBigEndian(UInt16(truncatingIfNeeded: lzo_version()))  // library version
        fields.appendBigEndian(UInt16(0x0940))                       // version needed to extract
        fields.append(3)                                             // M_LZO1X_999
        fields.append(UInt8(level))
        fields.appendBigEndian(flags)
        fields.appendBigEndian(UInt32(0))                            // mode
        fields.appendBigEndian(UInt32(0))                            // mtime, low
        fields.appendBigEndian(UInt32(0))                            // mtime, high
        fields.append(0)                                             // no name
        let checksum = fields.withUnsafeBufferPointer { lzo_adler32(1, $0.baseAddress, lzo_uint($0.count)) }
        var out = magic + fields
        out.appendBigEndian(UInt32(checksum))
        return out
    }

    static func compress(_ input: UnsafeRawBufferPointer, level: Int, threads: Int) throws(CompressionError) -> [UInt8] {
        try initialize()
        let blocks = (input.count + blockSize - 1) / blockSize
        let workMemory = Int(clzo_1x_999_mem_compress())
        var encoded = try parallelMap(count: blocks, threads: threads) { (index) throws(CompressionError) -> [UInt8] in
            let start = index * blockSize
            let source = UnsafeRawBufferPointer(rebasing: input[start..<min(start + blockSize, input.count)])
            let src = source.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let work = UnsafeMutableRawPointer.allocate(byteCount: workMemory, alignment: 16)
            defer { work.deallocate() }
            let compressed = try [UInt8].filling(capacity: source.count + source.count / 16 + 64 + 3) {
                (out) throws(CompressionError) -> Int in
                var length = lzo_uint(out.count)
                let status = lzo1x_999_compress_level(src, lzo_uint(source.count),
                                                      out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length,
                                                      work, nil, 0, nil, Int32(level))
                guard status == LZO_E_OK else { throw .library(.lzo, "block \(index): status \(status)") }
                // lzop -9 also runs the optimiser, which rewrites the block in place without changing its size.
                let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: source.count)
                defer { scratch.deallocate() }
                var restored = lzo_uint(source.count)
                guard lzo1x_optimize(out.baseAddress!.assumingMemoryBound(to: UInt8.self), length, scratch, &restored,
                                     nil) == LZO_E_OK, restored == lzo_uint(source.count) else {
                    throw .library(.lzo, "block \(index): optimiser failed")
                }
                return Int(length)
            }
            var block = [UInt8]()
            block.appendBigEndian(UInt32(source.count))
            let stored = compressed.count >= source.count
            block.appendBigEndian(UInt32(stored ? source.count : compressed.count))
            block.appendBigEndian(UInt32(lzo_adler32(1, src, lzo_uint(source.count))))
            if stored { block += source } else { block += compressed }
            return block
        }
        var out = header(level: level)
        out.reserveCapacity(out.count + encoded.reduce(0) { $0 + $1.count } + 4)
        for index in encoded.indices {  // released once copied: blocks and output never both whole
            out += encoded[index]
            encoded[index] = []
        }
        out.appendBigEndian(UInt32(0))
        return out
    }

    static func decompress(_ payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer)
        throws(CompressionError) -> Int
    {
        try initialize()
        let bytes = payload.bindMemory(to: UInt8.self)
        func be32(_ at: Int) throws(CompressionError) -> Int {
            guard at >= 0, at + 4 <= bytes.count else { throw .corrupt(.lzo, "truncated at \(at)") }
            return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        guard bytes.count > 38, bytes.prefix(magic.count).elementsEqual(magic) else { throw .corrupt(.lzo, "no lzop magic") }
        // magic 9, version 2, library 2, needed 2, method 1, level 1, then the flags
        let headerFlags = UInt32(try be32(17))
        guard headerFlags & 0x0800 == 0 else { throw .corrupt(.lzo, "filters are not supported") }
        let nameLength = Int(bytes[33])
        var at = 34 + nameLength + 4  // name, header checksum
        let checksums = (headerFlags & 0x1 != 0 ? 1 : 0) + (headerFlags & 0x100 != 0 ? 1 : 0)
        let compressedChecksums = (headerFlags & 0x2 != 0 ? 1 : 0) + (headerFlags & 0x200 != 0 ? 1 : 0)
        var written = 0
        while true {
            let length = try be32(at)
            if length == 0 { break }
            let packed = try be32(at + 4)
            at += 8
            let dataChecksum = headerFlags & 0x1 != 0 ? UInt32(try be32(at)) : nil
            at += 4 * checksums
            if packed < length { at += 4 * compressedChecksums }
            guard length <= out.count - written, packed <= bytes.count - at, packed <= length else {
                throw .corrupt(.lzo, "block at \(at) does not fit")
            }
            let target = out.baseAddress!.assumingMemoryBound(to: UInt8.self) + written
            if packed == length {
                target.update(from: bytes.baseAddress! + at, count: length)
            } else {
                var produced = lzo_uint(length)
                let status = lzo1x_decompress_safe(bytes.baseAddress! + at, lzo_uint(packed), target, &produced, nil)
                guard status == LZO_E_OK, Int(produced) == length else {
                    throw .corrupt(.lzo, "block at \(at): status \(status)")
                }
            }
            if let dataChecksum, UInt32(lzo_adler32(1, target, lzo_uint(length))) != dataChecksum {
                throw .corrupt(.lzo, "adler32 mismatch in block at \(at)")
            }
            written += length
            at += packed
        }
        return written
    }
}
