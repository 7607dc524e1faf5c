/// Zstandard (RFC 8878) as the kernel's payload carries it: the first frame of the input, decoded in one call into
/// the output buffer (matches reach back anywhere into what is already written). Heap-free: the FSE and Huffman
/// tables and the literals of the current block live in a caller-provided workspace of `Zstd.workspaceSize`
/// bytes (8-byte aligned). Every read and write is guarded — per block and per sequence, so that the copies and
/// bit reads in between run unchecked — and corrupt input is an error in the stub as on the host.
/// Files: this one (frames, blocks), ZstdBlock (literals, tables), ZstdSequences (sequences and their copies),
/// ZstdEntropy (FSE, Huffman), BackwardBits, XXH64.
public enum Zstd {
    public static let magic: UInt32 = 0xFD2F_B528
    static let maxBlockSize = 128 << 10

    // Workspace layout (bytes): the sequence decoding tables of literal lengths (2^9 16-byte entries), match
    // lengths (2^9) and offsets (2^8); scratch for building FSE tables (2 KB, also the Huffman weights' table);
    // the Huffman table (2^11 2-byte entries); 8 bytes for each of up to four short bitstreams; the repeat offsets;
    // the literals of a block, with room for wild copies to read past their end.
    static let sequenceTables = 0, fseScratch = 20480, huffmanTable = 22528, streamScratch = 26624
    static let repeatOffsets = 26656, literalsBuffer = 26688
    public static let workspaceSize = literalsBuffer + maxBlockSize + wildCopy

    /// Fast copies move 16 bytes at a time and may write up to this many bytes past what they copy (never past the
    /// output's end), and read as far past their source.
    static let wildCopy = 16

    /// Decodes the first frame of `input` into `output`; returns the bytes written. Checks the declared content
    /// size and the content checksum (low 32 bits of XXH64) when the frame has them.
    public static func decodeFrame(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                                   workspace: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
    {
        guard workspace.count >= workspaceSize, let base = workspace.baseAddress,
              Int(bitPattern: base) & 7 == 0 else { throw .outputOverflow }
        guard input.count >= 5 else { throw .truncated }
        guard readLE32(input, 0) == magic else { throw .badHeader }
        let descriptor = input[4]
        let contentSizeFlag = Int(descriptor >> 6), singleSegment = descriptor & 0x20 != 0
        let hasChecksum = descriptor & 0x04 != 0, dictionaryFlag = Int(descriptor & 3)
        guard descriptor & 0x08 == 0 else { throw .badHeader }  // reserved bit
        var at = 5
        if !singleSegment {  // window descriptor: single-call decoding needs no window of its own
            guard at < input.count else { throw .truncated }
            at += 1
        }
        let dictionarySize = dictionaryFlag == 3 ? 4 : dictionaryFlag
        guard input.count - at >= dictionarySize else { throw .truncated }
        for i in 0..<dictionarySize where input[at + i] != 0 { throw .badHeader }  // no dictionaries
        at += dictionarySize
        let contentSizeBytes = contentSizeFlag == 0 ? (singleSegment ? 1 : 0) : 1 << contentSizeFlag
        guard input.count - at >= contentSizeBytes else { throw .truncated }
        var limit = output.count, declared = -1
        if contentSizeBytes > 0 {
            var value: UInt64 = 0
            for i in 0..<contentSizeBytes { value |= UInt64(input[at + i]) << UInt64(8 * i) }
            if contentSizeBytes == 2 { value += 256 }
            at += contentSizeBytes
            guard value <= UInt64(output.count) else { throw .outputOverflow }
            declared = Int(value)
            limit = declared
        }

        var decoder = ZstdBlockDecoder(base)
        var hasher = XXH64()
        let out = output.baseAddress
        var o = 0
        while true {
            guard input.count - at >= 3 else { throw .truncated }
            let header = Int(input[at]) | Int(input[at + 1]) << 8 | Int(input[at + 2]) << 16
            at += 3
            let last = header & 1 != 0, size = header >> 3
            guard size <= maxBlockSize else { throw .badHeader }
            switch header >> 1 & 3 {
            case 0:  // raw
                guard size <= input.count - at else { throw .truncated }
                guard size <= limit - o else { throw .outputOverflow }
                if size > 0 { (out! + o).copyMemory(from: input.baseAddress! + at, byteCount: size) }
                at += size
                o += size
            case 1:  // RLE: one byte, repeated `size` times
                guard at < input.count else { throw .truncated }
                guard size <= limit - o else { throw .outputOverflow }
                if size > 0 { (out! + o).initializeMemory(as: UInt8.self, repeating: input[at], count: size) }
                at += 1
                o += size
            case 2:
                guard size <= input.count - at else { throw .truncated }
                o = try decoder.decodeBlock(UnsafeRawBufferPointer(rebasing: input[at..<at + size]), output, o, limit)
                at += size
            default:
                throw .badHeader
            }
            // Wild copies may have written a little past `o`.
            reportProgress(input, at, output, min(o + wildCopy, limit))
            if hasChecksum, let out { hasher.absorb(out, upTo: o) }  // while the block is in the cache
            if last { break }
        }
        if declared >= 0 { guard o == declared else { throw .sizeMismatch } }
        if hasChecksum {
            guard input.count - at >= 4 else { throw .truncated }
            let hash = hasher.finish(out.map { UnsafeRawPointer($0) }, count: o)
            guard UInt32(truncatingIfNeeded: hash) == readLE32(input, at) else { throw .checksum }
        }
        return o
    }

    // Literal-length and match-length codes (RFC 8878 §3.1.1.3.2.1.1): baseline | extra bits << 24.
    static let literalLengthCodes: InlineArray<36, UInt32> = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16 | 1 << 24, 18 | 1 << 24, 20 | 1 << 24, 22 | 1 << 24, 24 | 2 << 24, 28 | 2 << 24, 32 | 3 << 24,
        40 | 3 << 24, 48 | 4 << 24, 64 | 6 << 24, 128 | 7 << 24, 256 | 8 << 24, 512 | 9 << 24, 1024 | 10 << 24,
        2048 | 11 << 24, 4096 | 12 << 24, 8192 | 13 << 24, 16384 | 14 << 24, 32768 | 15 << 24, 65536 | 16 << 24,
    ]
    static let matchLengthCodes: InlineArray<53, UInt32> = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        32, 33, 34,
        35 | 1 << 24, 37 | 1 << 24, 39 | 1 << 24, 41 | 1 << 24, 43 | 2 << 24, 47 | 2 << 24, 51 | 3 << 24,
        59 | 3 << 24, 67 | 4 << 24, 83 | 4 << 24, 99 | 5 << 24, 131 | 7 << 24, 259 | 8 << 24, 515 | 9 << 24,
        1027 | 10 << 24, 2051 | 11 << 24, 4099 | 12 << 24, 8195 | 13 << 24, 16387 | 14 << 24, 32771 | 15 << 24,
        65539 | 16 << 24,
    ]
    // Predefined distributions (§3.1.1.3.2.2).
    static let literalLengthDefault: InlineArray<36, Int16> = [
        4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
        -1, -1, -1, -1,
    ]
    static let matchLengthDefault: InlineArray<53, Int16> = [
        1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
    ]
    static let offsetDefault: InlineArray<29, Int16> = [
        1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
    ]
}

