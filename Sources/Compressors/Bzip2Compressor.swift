import CBzip2

/// bzip2 as `bzip2 -9` writes it (`BZh9`, 900 k blocks, work factor 30), plus the size trailer.
///
/// In parallel and still byte-identical to the single-threaded stream: libbz2 closes a block once its run-length
/// stage has produced `100000 × level − 19` bytes, and a run still pending then opens the next block. Replaying that
/// count gives each block's input range; each range is compressed on its own (one block per stream), and the
/// blocks are spliced bit by bit into one stream with the combined CRC recomputed.
enum Bzip2 {
    static func compress(_ input: UnsafeRawBufferPointer, level: Int, threads: Int) throws(CompressionError) -> [UInt8] {
        let starts = blockStarts(input, level: level)
        var streams = try parallelMap(count: starts.count, threads: threads) { (index) throws(CompressionError) -> [UInt8] in
            let end = index + 1 < starts.count ? starts[index + 1] : input.count
            return try compressStream(UnsafeRawBufferPointer(rebasing: input[starts[index]..<end]), level: level)
        }
        if streams.count == 1 { return streams[0] }
        return try splice(&streams, level: level)
    }

    /// One complete bzip2 stream through libbz2.
    static func compressStream(_ input: UnsafeRawBufferPointer, level: Int) throws(CompressionError) -> [UInt8] {
        let bound = input.count + input.count / 100 + 600
        return try [UInt8].filling(capacity: bound) { (out) throws(CompressionError) -> Int in
            var length = UInt32(out.count)
            let status = BZ2_bzBuffToBuffCompress(out.baseAddress!.assumingMemoryBound(to: CChar.self), &length,
                                                  UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: CChar.self)),
                                                  UInt32(input.count), Int32(level), 0, 30)
            guard status == BZ_OK else { throw .library(.bzip2, "status \(status)") }
            return Int(length)
        }
    }

    /// Where libbz2 starts each block: a replay of its first run-length stage (runs of 4–255 equal bytes become
    /// 4 bytes and a count) with its block-full test made before each input byte.
    static func blockStarts(_ input: UnsafeRawBufferPointer, level: Int) -> [Int] {
        let limit = 100_000 * level - 19
        var starts = [0]
        var current = 256, run = 0, filled = 0
        for (index, byte) in input.enumerated() {
            if filled >= limit {
                starts.append(index - run)  // the pending run belongs to the next block
                filled = 0
            }
            let value = Int(byte)
            if value != current && run == 1 {
                filled += 1
                current = value
            } else if value != current || run == 255 {
                if current < 256 { filled += run < 4 ? run : 5 }
                current = value
                run = 1
            } else {
                run += 1
            }
        }
        return starts
    }

    static let blockMagic: UInt64 = 0x3141_5926_5359
    static let endMagic: UInt64 = 0x1772_4538_5090

    /// Joins single-block streams into one stream: header, every block's bits, end marker, combined CRC. Each
    /// stream is emptied once spliced, so the blocks and the output never both hold the whole payload.
    static func splice(_ streams: inout [[UInt8]], level: Int) throws(CompressionError) -> [UInt8] {
        var writer = BitWriter()
        writer.bytes.reserveCapacity(streams.reduce(0) { $0 + $1.count })
        for byte in Array("BZh".utf8) + [UInt8(ascii: "0") + UInt8(level)] { writer.write(UInt64(byte), bits: 8) }
        var combined: UInt32 = 0
        for index in streams.indices {
            let stream = streams[index]
            streams[index] = []
            let bits = BitReader(stream)
            guard stream.count >= 14, bits.read(at: 32, bits: 48) == blockMagic else {
                throw .library(.bzip2, "a block stream is not one block")
            }
            let crc = UInt32(bits.read(at: 80, bits: 32))
            // The end marker and CRC sit before 0–7 bits of padding.
            guard let end = (0..<8).lazy.map({ stream.count * 8 - 80 - $0 }).first(where: {
                $0 >= 112 && bits.read(at: $0, bits: 48) == endMagic && UInt32(bits.read(at: $0 + 48, bits: 32)) == crc
            }) else {
                throw .library(.bzip2, "no end marker in a block stream")
            }
            for index in 4..<end / 8 { writer.write(UInt64(stream[index]), bits: 8) }
            if end % 8 != 0 { writer.write(UInt64(stream[end / 8] >> (8 - end % 8)), bits: end % 8) }
            combined = (combined << 1 | combined >> 31) ^ crc
        }
        writer.write(endMagic, bits: 48)
        writer.write(UInt64(combined), bits: 32)
        writer.flush()
        return writer.bytes
    }

    static func decompress(_ payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer)
        throws(CompressionError) -> Int
    {
        var length = UInt32(out.count)
        let status = BZ2_bzBuffToBuffDecompress(out.baseAddress!.assumingMemoryBound(to: CChar.self), &length,
                                                UnsafeMutablePointer(mutating: payload.baseAddress?.assumingMemoryBound(to: CChar.self)),
                                                UInt32(payload.count), 0, 0)
        guard status == BZ_OK else { throw .corrupt(.bzip2, "status \(status)") }
        return Int(length)
    }
}

/// Most-significant-bit-first bit output, as bzip2 writes.
struct BitWriter {
    var bytes = [UInt8]()
    private var buffer: UInt64 = 0
    private var count = 0

    mutating func write(_ value: UInt64, bits: Int) {
        var remaining = bits
        while remaining > 0 {
            let take = min(remaining, 56 - count)
            let chunk = (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) - 1)
            buffer = buffer << UInt64(take) | chunk
            count += take
            remaining -= take
            while count >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt64(count - 8)))
                count -= 8
            }
        }
    }

    /// Pads the last byte with zero bits.
    mutating func flush() {
        if count > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer << UInt64(8 - count))) }
        count = 0
        buffer = 0
    }
}

/// Most-significant-bit-first reads at arbitrary bit positions.
struct BitReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(at position: Int, bits: Int) -> UInt64 {
        var value: UInt64 = 0
        for bit in position..<position + bits {
            value = value << 1 | UInt64(bytes[bit / 8] >> (7 - UInt8(bit % 8)) & 1)
        }
        return value
    }
}
