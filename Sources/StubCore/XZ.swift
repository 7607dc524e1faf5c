/// The .xz container as the kernel's `xz --check=crc32 --x86 --lzma2=…` writes it, decoded the way the kernel's
/// XZ_SINGLE mode does: one stream (bytes after its footer are ignored), any number of blocks, each with an
/// optional x86 BCJ filter (id 0x04, optional start offset) before LZMA2 (id 0x21), and a check of type none or
/// CRC32 (verified). CRC64 and SHA-256 are refused, as the kernel's decoder refuses them. The index is parsed and
/// checked against the blocks (count, unpadded and uncompressed sizes, CRC32), the footer against the header.
/// Heap-free: the LZMA probabilities and a CRC32 table live in the caller's workspace.
public enum XZ {
    /// The LZMA model plus the CRC-32 tables (the first 256 entries serve the small checks, all eight the blocks').
    public static let workspaceSize = 28268 + CRC32.tableSize

    /// Decodes the first .xz stream of `input` into `output`; returns the bytes written. `workspace` holds
    /// `workspaceSize` bytes, 4-byte aligned.
    public static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                              workspace: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
    {
        // 4-byte aligned: the CRC table holds UInt32s.
        guard workspace.count >= workspaceSize, let base = workspace.baseAddress, Int(bitPattern: base) & 3 == 0
        else { throw .outputOverflow }
        let model = UnsafeMutableRawBufferPointer(rebasing: workspace[0..<LZMA.workspaceSize])
        let crcTables = UnsafeMutableRawBufferPointer(rebasing: workspace[LZMA.workspaceSize..<workspaceSize])
        let crc = CRCTable(crcTables)
        var decoder = try LZMADecoder(workspace: model, output: output)

        // Stream header: magic, flags (0, check type), CRC32 of the flags.
        guard input.count >= 12 else { throw .truncated }
        let magic: InlineArray<6, UInt8> = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]
        for k in 0..<6 where input[k] != magic[k] { throw .badHeader }
        guard crc.checksum(input, 6, 8) == readLE32(input, 8) else { throw .checksum }
        guard input[6] == 0, input[7] & 0xF0 == 0 else { throw .badHeader }
        // Kept rather than re-read for the footer: decoding in place, the output overwrites the stream header long
        // before the footer is reached.
        let checkType = input[7]
        guard checkType == 0 || checkType == 1 else { throw .badHeader }  // none or CRC32 only, as the kernel
        let checkSize = checkType == 1 ? 4 : 0
        var at = 12

        // Blocks, until the index indicator. What the index must list is folded into a count and a CRC.
        var blocks = 0
        var recordsCRC: UInt32 = 0xFFFF_FFFF
        while true {
            guard at < input.count else { throw .truncated }
            if input[at] == 0 { break }
            let blockStart = at
            let headerSize = (Int(input[at]) + 1) * 4
            guard headerSize <= input.count - at else { throw .truncated }
            let headerEnd = at + headerSize - 4  // where the header's CRC32 is
            guard crc.checksum(input, at, headerEnd) == readLE32(input, headerEnd) else { throw .checksum }
            let flags = input[at + 1]
            guard flags & 0x3C == 0 else { throw .badHeader }
            var h = at + 2
            var compressedSize = -1, uncompressedSize = -1
            if flags & 0x40 != 0 { compressedSize = try vli(input, &h, headerEnd) }
            if flags & 0x80 != 0 { uncompressedSize = try vli(input, &h, headerEnd) }
            let filters = Int(flags & 3) + 1
            guard filters <= 2 else { throw .badHeader }
            var bcj = false
            var bcjStart: UInt32 = 0
            for index in 0..<filters {
                let id = try vli(input, &h, headerEnd)
                let propertiesSize = try vli(input, &h, headerEnd)
                guard propertiesSize <= headerEnd - h else { throw .badHeader }
                if index < filters - 1 {
                    guard id == 0x04 else { throw .badHeader }  // x86 BCJ, the kernel's only one on x86
                    bcj = true
                    if propertiesSize == 4 {
                        bcjStart = readLE32(input, h)
                    } else {
                        guard propertiesSize == 0 else { throw .badHeader }
                    }
                } else {
                    guard id == 0x21, propertiesSize == 1 else { throw .badHeader }  // LZMA2, last
                    guard input[h] <= 40 else { throw .badHeader }  // the dictionary size; the output is the dictionary
                }
                h += propertiesSize
            }
            while h < headerEnd {
                guard input[h] == 0 else { throw .badHeader }
                h += 1
            }
            at = headerEnd + 4

            // The LZMA2 data, bounded by the declared sizes when present.
            let first = decoder.written
            var dataEnd = input.count
            if compressedSize >= 0 {
                guard compressedSize <= input.count - at else { throw .truncated }
                dataEnd = at + compressedSize
            }
            var limit = output.count
            if uncompressedSize >= 0 {
                guard uncompressedSize <= output.count - first else { throw .outputOverflow }
                limit = first + uncompressedSize
            }
            let end = try LZMA2.decode(UnsafeRawBufferPointer(rebasing: input[0..<dataEnd]), at: at,
                                       decoder: &decoder, limit: limit)
            if compressedSize >= 0 { guard end == dataEnd else { throw .badHeader } }
            let produced = decoder.written - first
            if uncompressedSize >= 0 { guard produced == uncompressedSize else { throw .sizeMismatch } }
            let unpaddedSize = end - blockStart + checkSize
            at = end
            while (at - blockStart) & 3 != 0 {  // block padding
                guard at < input.count else { throw .truncated }
                guard input[at] == 0 else { throw .badHeader }
                at += 1
            }
            let data = UnsafeMutableRawBufferPointer(rebasing: output[first..<decoder.written])
            if bcj { BCJ.x86Decode(data, startOffset: bcjStart) }
            if checkSize == 4 {
                guard input.count - at >= 4 else { throw .truncated }
                guard CRC32.zlib(UnsafeRawBufferPointer(data), table: crcTables) == readLE32(input, at) else {
                    throw .checksum
                }
            }
            at += checkSize
            blocks += 1
            recordsCRC = crc.update(recordsCRC, UInt64(unpaddedSize))
            recordsCRC = crc.update(recordsCRC, UInt64(produced))
        }

        // Index: indicator, record count, (unpadded size, uncompressed size) records, padding, CRC32.
        let indexStart = at
        at += 1
        guard try vli(input, &at, input.count) == blocks else { throw .badHeader }
        var indexCRC: UInt32 = 0xFFFF_FFFF
        for _ in 0..<blocks {
            indexCRC = crc.update(indexCRC, UInt64(try vli(input, &at, input.count)))
            indexCRC = crc.update(indexCRC, UInt64(try vli(input, &at, input.count)))
        }
        guard indexCRC == recordsCRC else { throw .badHeader }
        while (at - indexStart) & 3 != 0 {
            guard at < input.count else { throw .truncated }
            guard input[at] == 0 else { throw .badHeader }
            at += 1
        }
        guard input.count - at >= 4 else { throw .truncated }
        guard crc.checksum(input, indexStart, at) == readLE32(input, at) else { throw .checksum }
        at += 4

        // Stream footer: CRC32, backward size, the header's flags, "YZ".
        guard input.count - at >= 12 else { throw .truncated }
        guard crc.checksum(input, at + 4, at + 10) == readLE32(input, at) else { throw .checksum }
        guard (Int(readLE32(input, at + 4)) + 1) * 4 == at - indexStart else { throw .badHeader }
        guard input[at + 8] == 0, input[at + 9] == checkType, input[at + 10] == 0x59, input[at + 11] == 0x5A
        else { throw .badHeader }
        return decoder.written
    }

    /// A variable-length integer (7 bits a byte, low first, at most 9 bytes, no redundant zero byte) from
    /// `bytes[at ..< end]`; values past 2^62 are refused so sizes stay plain `Int`s.
    static func vli(_ bytes: UnsafeRawBufferPointer, _ at: inout Int, _ end: Int) throws(DecodeError) -> Int {
        var value = 0
        var shift = 0
        while true {
            guard at < end, at < bytes.count else { throw .truncated }
            let byte = bytes[at]
            at += 1
            if shift > 0 && byte == 0 { throw .badHeader }
            guard shift < 63 else { throw .badHeader }
            let bits = Int(byte & 0x7F)
            guard shift <= 55 || bits >> (62 - shift) == 0 else { throw .badHeader }
            value |= bits << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }
}

/// CRC-32 (the zlib/xz one) through a 256-entry table built in caller memory: eight times faster than the
/// table-free loop, which matters for tens of megabytes at boot.
struct CRCTable {
    let table: UnsafeMutablePointer<UInt32>

    /// `memory` must hold 1024 bytes.
    init(_ memory: UnsafeMutableRawBufferPointer) {
        table = memory.baseAddress!.bindMemory(to: UInt32.self, capacity: 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[n] = c
        }
    }

    /// The CRC-32 of `bytes[from ..< to]` (the caller keeps the range inside `bytes`).
    func checksum(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> UInt32 {
        guard from >= 0, from < to, to <= bytes.count, let base = bytes.baseAddress else { return 0 }
        var crc: UInt32 = 0xFFFF_FFFF
        let p = base.assumingMemoryBound(to: UInt8.self)
        var i = from
        while i < to {
            crc = table[Int((crc ^ UInt32(p[i])) & 0xFF)] ^ (crc >> 8)
            i += 1
        }
        return ~crc
    }

    /// Folds a 64-bit value (little-endian) into a running, not-yet-inverted CRC.
    func update(_ running: UInt32, _ value: UInt64) -> UInt32 {
        var crc = running
        for k in 0..<8 {
            crc = table[Int((crc ^ UInt32(truncatingIfNeeded: value >> UInt64(8 * k))) & 0xFF)] ^ (crc >> 8)
        }
        return crc
    }
}
