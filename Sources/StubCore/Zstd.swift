/// Zstandard (RFC 8878) as the kernel's payload carries it: the first frame of the input, decoded in one call into
/// the output buffer (matches reach back anywhere into what is already written). Heap-free: the FSE and Huffman
/// tables and the literals of the current block live in a caller-provided workspace of `Zstd.workspaceSize`
/// bytes (8-byte aligned). Every read and write is guarded, so corrupt input is an error in the stub as on the host.
public enum Zstd {
    public static let magic: UInt32 = 0xFD2F_B528
    static let maxBlockSize = 128 << 10

    // Workspace layout (bytes): FSE tables of literal lengths (2^9 entries), match lengths (2^9), offsets (2^8) and
    // Huffman weights (2^6), 4-byte entries; the Huffman table (2^11 2-byte entries); the literals of a block.
    static let literalLengthTable = 0, matchLengthTable = 2048, offsetTable = 4096, weightTable = 5120
    static let huffmanTable = 5376, literalsBuffer = 9472
    public static let workspaceSize = 9472 + 128 * 1024

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
                if size > 0 { (output.baseAddress! + o).copyMemory(from: input.baseAddress! + at, byteCount: size) }
                at += size
                o += size
            case 1:  // RLE: one byte, repeated `size` times
                guard at < input.count else { throw .truncated }
                guard size <= limit - o else { throw .outputOverflow }
                if size > 0 { (output.baseAddress! + o).initializeMemory(as: UInt8.self, repeating: input[at], count: size) }
                at += 1
                o += size
            case 2:
                guard size <= input.count - at else { throw .truncated }
                o = try decoder.decodeBlock(UnsafeRawBufferPointer(rebasing: input[at..<at + size]), output, o, limit)
                at += size
            default:
                throw .badHeader
            }
            reportProgress(input, at, output, o)
            if last { break }
        }
        if declared >= 0 { guard o == declared else { throw .sizeMismatch } }
        if hasChecksum {
            guard input.count - at >= 4 else { throw .truncated }
            let hash = xxh64(UnsafeRawBufferPointer(rebasing: output[0..<o]))
            guard UInt32(truncatingIfNeeded: hash) == readLE32(input, at) else { throw .checksum }
        }
        return o
    }

    /// XXH64 with seed 0, as the frame's content checksum uses it.
    public static func xxh64(_ data: UnsafeRawBufferPointer) -> UInt64 {
        let p1: UInt64 = 0x9E37_79B1_85EB_CA87, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F, p3: UInt64 = 0x1656_67B1_9E37_79F9
        let p4: UInt64 = 0x85EB_CA77_C2B2_AE63, p5: UInt64 = 0x27D4_EB2F_1656_67C5
        @inline(__always) func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 - r) }
        @inline(__always) func round(_ acc: UInt64, _ lane: UInt64) -> UInt64 { rotl(acc &+ lane &* p2, 31) &* p1 }
        let count = data.count
        guard count > 0, let bytes = data.baseAddress else {
            var h = p5
            h ^= h >> 33; h = h &* p2; h ^= h >> 29; h = h &* p3; h ^= h >> 32
            return h
        }
        @inline(__always) func lane(_ at: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        }
        var at = 0
        var h: UInt64
        if count >= 32 {
            var v1 = p1 &+ p2, v2 = p2, v3: UInt64 = 0, v4 = 0 &- p1
            while count - at >= 32 {
                v1 = round(v1, lane(at))
                v2 = round(v2, lane(at + 8))
                v3 = round(v3, lane(at + 16))
                v4 = round(v4, lane(at + 24))
                at += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = (h ^ round(0, v1)) &* p1 &+ p4
            h = (h ^ round(0, v2)) &* p1 &+ p4
            h = (h ^ round(0, v3)) &* p1 &+ p4
            h = (h ^ round(0, v4)) &* p1 &+ p4
        } else {
            h = p5
        }
        h = h &+ UInt64(count)
        while count - at >= 8 {
            h ^= round(0, lane(at))
            h = rotl(h, 27) &* p1 &+ p4
            at += 8
        }
        if count - at >= 4 {
            let word = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            h ^= word &* p1
            h = rotl(h, 23) &* p2 &+ p3
            at += 4
        }
        while at < count {
            h ^= UInt64(bytes.load(fromByteOffset: at, as: UInt8.self)) &* p5
            h = rotl(h, 11) &* p1
            at += 1
        }
        h ^= h >> 33; h = h &* p2; h ^= h >> 29; h = h &* p3; h ^= h >> 32
        return h
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

/// The state that carries from block to block within a frame: the tables (for repeat modes) and repeat offsets.
struct ZstdBlockDecoder {
    let literalLengths, matchLengths, offsets, weights: UnsafeMutablePointer<UInt32>
    let huffman: UnsafeMutablePointer<UInt16>
    let literals: UnsafeMutablePointer<UInt8>
    /// Accuracy logs of the literal-length, offset and match-length tables; −1 until one is built.
    var logs = InlineArray<3, Int>(repeating: -1)
    var huffmanBits = 0
    var repeats: InlineArray<3, Int> = [1, 4, 8]

    init(_ workspace: UnsafeMutableRawPointer) {
        literalLengths = (workspace + Zstd.literalLengthTable).bindMemory(to: UInt32.self, capacity: 512)
        matchLengths = (workspace + Zstd.matchLengthTable).bindMemory(to: UInt32.self, capacity: 512)
        offsets = (workspace + Zstd.offsetTable).bindMemory(to: UInt32.self, capacity: 256)
        weights = (workspace + Zstd.weightTable).bindMemory(to: UInt32.self, capacity: 64)
        huffman = (workspace + Zstd.huffmanTable).bindMemory(to: UInt16.self, capacity: 2048)
        literals = (workspace + Zstd.literalsBuffer).bindMemory(to: UInt8.self, capacity: Zstd.maxBlockSize)
    }

    /// Decodes one compressed block (§3.1.1.3) into `output` at `start`, writing no further than `limit`.
    mutating func decodeBlock(_ block: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer, _ start: Int,
                              _ limit: Int) throws(DecodeError) -> Int
    {
        // Literals section.
        guard block.count >= 1 else { throw .truncated }
        let first = Int(block[0])
        let literalsType = first & 3, sizeFormat = first >> 2 & 3
        var at: Int
        let literalSource: UnsafeRawPointer
        let literalCount: Int
        if literalsType < 2 {  // raw or RLE
            var regenerated: Int
            switch sizeFormat {
            case 0, 2:
                regenerated = first >> 3
                at = 1
            case 1:
                guard block.count >= 2 else { throw .truncated }
                regenerated = first >> 4 | Int(block[1]) << 4
                at = 2
            default:
                guard block.count >= 3 else { throw .truncated }
                regenerated = first >> 4 | Int(block[1]) << 4 | Int(block[2]) << 12
                at = 3
            }
            guard regenerated <= Zstd.maxBlockSize else { throw .badHeader }
            if literalsType == 0 {
                guard regenerated <= block.count - at else { throw .truncated }
                literalSource = UnsafeRawPointer(block.baseAddress!) + at
                at += regenerated
            } else {
                guard at < block.count else { throw .truncated }
                literals.initialize(repeating: block[at], count: regenerated)
                literalSource = UnsafeRawPointer(literals)
                at += 1
            }
            literalCount = regenerated
        } else {  // Huffman-compressed, with a new tree or the previous one
            var regenerated: Int, compressed: Int
            switch sizeFormat {
            case 0, 1:
                guard block.count >= 3 else { throw .truncated }
                let value = first | Int(block[1]) << 8 | Int(block[2]) << 16
                regenerated = value >> 4 & 0x3FF
                compressed = value >> 14 & 0x3FF
                at = 3
            case 2:
                guard block.count >= 4 else { throw .truncated }
                let value = first | Int(block[1]) << 8 | Int(block[2]) << 16 | Int(block[3]) << 24
                regenerated = value >> 4 & 0x3FFF
                compressed = value >> 18 & 0x3FFF
                at = 4
            default:
                guard block.count >= 5 else { throw .truncated }
                let value = first | Int(block[1]) << 8 | Int(block[2]) << 16 | Int(block[3]) << 24
                    | Int(block[4]) << 32
                regenerated = value >> 4 & 0x3FFFF
                compressed = value >> 22 & 0x3FFFF
                at = 5
            }
            guard regenerated <= Zstd.maxBlockSize else { throw .badHeader }
            guard compressed <= block.count - at else { throw .truncated }
            var data = UnsafeRawBufferPointer(rebasing: block[at..<at + compressed])
            at += compressed
            if literalsType == 2 {
                let tree = try ZstdHuffman.readTable(data, huffman, weights)
                huffmanBits = tree.maxBits
                data = UnsafeRawBufferPointer(rebasing: data[tree.used...])
            } else {
                guard huffmanBits > 0 else { throw .badHeader }
            }
            if sizeFormat == 0 {
                try ZstdHuffman.decodeStream(data, huffman, huffmanBits, literals, regenerated)
            } else {
                guard data.count >= 6 else { throw .truncated }
                let size1 = Int(data[0]) | Int(data[1]) << 8, size2 = Int(data[2]) | Int(data[3]) << 8
                let size3 = Int(data[4]) | Int(data[5]) << 8
                guard size1 + size2 + size3 <= data.count - 6 else { throw .truncated }
                let segment = (regenerated + 3) / 4
                guard 3 * segment <= regenerated else { throw .badHeader }
                var from = 6
                let sizes: InlineArray<4, Int> = [size1, size2, size3, data.count - 6 - size1 - size2 - size3]
                for index in 0..<4 {
                    let size = sizes[index]
                    let count = index == 3 ? regenerated - 3 * segment : segment
                    try ZstdHuffman.decodeStream(UnsafeRawBufferPointer(rebasing: data[from..<from + size]), huffman,
                                                 huffmanBits, literals + index * segment, count)
                    from += size
                }
            }
            literalSource = UnsafeRawPointer(literals)
            literalCount = regenerated
        }

        // Sequences section header.
        guard at < block.count else { throw .truncated }
        var sequences = Int(block[at])
        at += 1
        if sequences == 255 {
            guard block.count - at >= 2 else { throw .truncated }
            sequences = Int(block[at]) + Int(block[at + 1]) << 8 + 0x7F00
            at += 2
        } else if sequences >= 128 {
            guard at < block.count else { throw .truncated }
            sequences = (sequences - 128) << 8 + Int(block[at])
            at += 1
        }
        var o = start
        let out = output.baseAddress
        if sequences == 0 {
            guard literalCount <= limit - o else { throw .outputOverflow }
            if literalCount > 0 { (out! + o).copyMemory(from: literalSource, byteCount: literalCount) }
            return o + literalCount
        }
        guard at < block.count else { throw .truncated }
        let modes = Int(block[at])
        at += 1
        guard modes & 3 == 0 else { throw .badHeader }
        at += try buildTable(0, modes >> 6, UnsafeRawBufferPointer(rebasing: block[at...]))
        at += try buildTable(1, modes >> 4 & 3, UnsafeRawBufferPointer(rebasing: block[at...]))
        at += try buildTable(2, modes >> 2 & 3, UnsafeRawBufferPointer(rebasing: block[at...]))

        // The sequences: a backward bitstream of the three interleaved FSE states and their extra bits.
        var bits = try BackwardBits(UnsafeRawBufferPointer(rebasing: block[at...]))
        let literalLengthCodes = Zstd.literalLengthCodes, matchLengthCodes = Zstd.matchLengthCodes
        var literalLengthState = bits.read(logs[0]), offsetState = bits.read(logs[1])
        var matchLengthState = bits.read(logs[2])
        var rep0 = repeats[0], rep1 = repeats[1], rep2 = repeats[2]
        var literalAt = 0
        for index in 0..<sequences {
            let literalLengthEntry = literalLengths[literalLengthState], offsetEntry = offsets[offsetState]
            let matchLengthEntry = matchLengths[matchLengthState]
            let offsetCode = Int(offsetEntry & 0xFF)
            let offsetValue = 1 << offsetCode + bits.read(offsetCode)
            let matchCode = matchLengthCodes[Int(matchLengthEntry & 0xFF)]
            let matchLength = Int(matchCode & 0xFF_FFFF) + bits.read(Int(matchCode >> 24))
            let literalCode = literalLengthCodes[Int(literalLengthEntry & 0xFF)]
            let literalLength = Int(literalCode & 0xFF_FFFF) + bits.read(Int(literalCode >> 24))
            var offset: Int
            if offsetValue > 3 {
                offset = offsetValue - 3
                rep2 = rep1
                rep1 = rep0
                rep0 = offset
            } else {
                switch literalLength == 0 ? offsetValue + 1 : offsetValue {
                case 1:
                    offset = rep0
                case 2:
                    offset = rep1
                    rep1 = rep0
                    rep0 = offset
                case 3:
                    offset = rep2
                    rep2 = rep1
                    rep1 = rep0
                    rep0 = offset
                default:
                    offset = rep0 - 1
                    rep2 = rep1
                    rep1 = rep0
                    rep0 = offset
                }
            }
            if index + 1 < sequences {
                literalLengthState = Int(literalLengthEntry >> 16) + bits.read(Int(literalLengthEntry >> 8 & 0xFF))
                matchLengthState = Int(matchLengthEntry >> 16) + bits.read(Int(matchLengthEntry >> 8 & 0xFF))
                offsetState = Int(offsetEntry >> 16) + bits.read(Int(offsetEntry >> 8 & 0xFF))
            }
            guard bits.position >= 0 else { throw .truncated }
            // Execute: the literals, then the match.
            guard literalLength <= literalCount - literalAt else { throw .badHeader }
            guard literalLength <= limit - o else { throw .outputOverflow }
            if literalLength > 0 {
                (out! + o).copyMemory(from: literalSource + literalAt, byteCount: literalLength)
                literalAt += literalLength
                o += literalLength
            }
            guard offset > 0, offset <= o else { throw .badOffset }
            guard matchLength <= limit - o else { throw .outputOverflow }
            Self.copyMatch(out!, o, offset, matchLength)
            o += matchLength
        }
        guard bits.position == 0 else { throw .badHeader }
        repeats = [rep0, rep1, rep2]
        let rest = literalCount - literalAt
        guard rest <= limit - o else { throw .outputOverflow }
        if rest > 0 { (out! + o).copyMemory(from: literalSource + literalAt, byteCount: rest) }
        return o + rest
    }

    /// Sets up the decoding table of `kind` (0 literal lengths, 1 offsets, 2 match lengths) for `mode`
    /// (predefined, RLE, FSE-compressed, repeat); returns the bytes of `source` its description takes.
    mutating func buildTable(_ kind: Int, _ mode: Int, _ source: UnsafeRawBufferPointer) throws(DecodeError) -> Int {
        let table = kind == 0 ? literalLengths : kind == 1 ? offsets : matchLengths
        let maxSymbol = kind == 0 ? 35 : kind == 1 ? 31 : 52
        var counts = InlineArray<256, Int16>(repeating: 0)
        switch mode {
        case 0:
            var symbols = 0
            switch kind {
            case 0:
                symbols = 36
                for s in 0..<symbols { counts[s] = Zstd.literalLengthDefault[s] }
            case 1:
                symbols = 29
                for s in 0..<symbols { counts[s] = Zstd.offsetDefault[s] }
            default:
                symbols = 53
                for s in 0..<symbols { counts[s] = Zstd.matchLengthDefault[s] }
            }
            let log = kind == 1 ? 5 : 6
            try ZstdFSE.build(table, &counts, symbols, log)
            logs[kind] = log
            return 0
        case 1:
            guard source.count >= 1 else { throw .truncated }
            let symbol = Int(source[0])
            guard symbol <= maxSymbol else { throw .badHeader }
            table[0] = UInt32(symbol)
            logs[kind] = 0
            return 1
        case 2:
            let description = try ZstdFSE.readCounts(source, &counts, maxLog: kind == 1 ? 8 : 9, maxSymbol: maxSymbol)
            try ZstdFSE.build(table, &counts, description.symbols, description.log)
            logs[kind] = description.log
            return description.used
        default:
            guard logs[kind] >= 0 else { throw .badHeader }
            return 0
        }
    }

    /// Copies a match of `count` bytes from `offset` back; overlapping matches repeat their pattern, copied in
    /// doubling non-overlapping chunks.
    @inline(__always)
    static func copyMatch(_ base: UnsafeMutableRawPointer, _ target: Int, _ offset: Int, _ count: Int) {
        var at = target, left = count, distance = offset
        while left > 0 {
            let n = min(distance, left)
            (base + at).copyMemory(from: base + (at - distance), byteCount: n)
            at += n
            left -= n
            distance += distance
        }
    }
}
