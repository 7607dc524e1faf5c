import CLZ4

/// LZ4 in the legacy frame the kernel's `lz4 -l -9` writes: magic 0x184C2102, then for every 8 MiB of input a
/// little-endian compressed size and an LZ4 block (HC at level ≥ 3), no end mark. The boot decoder inflates every
/// block but the last to exactly 8 MiB. Blocks are independent, so they compress in parallel with the same bytes.
enum LZ4 {
    static let magic: UInt32 = 0x184C_2102
    static let blockSize = 8 << 20

    static func compress(_ input: UnsafeRawBufferPointer, level: Int, threads: Int) throws(CompressionError) -> [UInt8] {
        let blocks = (input.count + blockSize - 1) / blockSize
        var compressed = try parallelMap(count: blocks, threads: threads) { (index) throws(CompressionError) -> [UInt8] in
            let start = index * blockSize
            let source = UnsafeRawBufferPointer(rebasing: input[start..<min(start + blockSize, input.count)])
            let bound = Int(LZ4_compressBound(Int32(source.count)))
            return try [UInt8].filling(capacity: bound) { (out) throws(CompressionError) -> Int in
                let src = source.baseAddress!.assumingMemoryBound(to: CChar.self)
                let dst = out.baseAddress!.assumingMemoryBound(to: CChar.self)
                let n = level < 3
                    ? LZ4_compress_default(src, dst, Int32(source.count), Int32(bound))
                    : LZ4_compress_HC(src, dst, Int32(source.count), Int32(bound), Int32(level))
                guard n > 0 else { throw .library(.lz4, "block \(index) did not compress") }
                return Int(n)
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(4 + compressed.reduce(0) { $0 + 4 + $1.count })
        out.appendLittleEndian(magic)
        // Each block is released once copied, so the blocks and the output never both hold the whole payload.
        for index in compressed.indices {
            out.appendLittleEndian(UInt32(compressed[index].count))
            out += compressed[index]
            compressed[index] = []
        }
        return out
    }

    static func decompress(_ payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer)
        throws(CompressionError) -> Int
    {
        guard payload.count >= 4,
              payload.loadUnaligned(as: UInt32.self) == magic.littleEndian else {
            throw .corrupt(.lz4, "no legacy frame magic")
        }
        var at = 4, written = 0
        while at < payload.count {
            guard payload.count - at >= 4 else { throw .corrupt(.lz4, "truncated block size at \(at)") }
            let length = Int(UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            at += 4
            guard length <= payload.count - at else { throw .corrupt(.lz4, "block at \(at - 4) runs past the end") }
            let room = min(blockSize, out.count - written)
            let n = LZ4_decompress_safe(
                (payload.baseAddress! + at).assumingMemoryBound(to: CChar.self),
                (out.baseAddress! + written).assumingMemoryBound(to: CChar.self), Int32(length), Int32(room))
            guard n >= 0 else { throw .corrupt(.lz4, "bad block at \(at - 4)") }
            written += Int(n)
            at += length
        }
        return written
    }
}
