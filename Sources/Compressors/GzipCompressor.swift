import CDeflate

/// gzip as the kernel's `gzip -n -f -9` lays it out: header with no name and mtime 0 (`1f 8b 08 00 00000000 02 03`),
/// one deflate stream, CRC-32 and ISIZE. The deflate data comes from libdeflate, whose best levels are smaller than
/// GNU gzip's -9. No size trailer: ISIZE is what the kernel reads.
enum Gzip {
    static let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0x03]

    static func compress(_ input: UnsafeRawBufferPointer, level: Int) throws(CompressionError) -> [UInt8] {
        guard let compressor = libdeflate_alloc_compressor(Int32(level)) else { throw .library(.gzip, "out of memory") }
        defer { libdeflate_free_compressor(compressor) }
        let bound = libdeflate_deflate_compress_bound(compressor, input.count)
        var out = try [UInt8].filling(capacity: header.count + bound + 8) { (buffer) throws(CompressionError) -> Int in
            buffer.copyBytes(from: header)
            let n = libdeflate_deflate_compress(compressor, input.baseAddress, input.count,
                                                buffer.baseAddress! + header.count, bound)
            guard n > 0 || input.isEmpty else { throw .library(.gzip, "deflate failed") }
            return header.count + n
        }
        out.appendLittleEndian(UInt32(libdeflate_crc32(0, input.baseAddress, input.count)))
        out.appendLittleEndian(UInt32(truncatingIfNeeded: input.count))
        return out
    }

    static func decompress(_ payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer)
        throws(CompressionError) -> Int
    {
        guard let decompressor = libdeflate_alloc_decompressor() else { throw .library(.gzip, "out of memory") }
        defer { libdeflate_free_decompressor(decompressor) }
        var actual = 0
        let status = libdeflate_gzip_decompress(decompressor, payload.baseAddress, payload.count,
                                                out.baseAddress, out.count, &actual)
        guard status == LIBDEFLATE_SUCCESS else { throw .corrupt(.gzip, "libdeflate status \(status.rawValue)") }
        return actual
    }
}
