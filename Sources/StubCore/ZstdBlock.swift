/// The state that carries from block to block within a frame: the tables (for repeat modes) and repeat offsets.
struct ZstdBlockDecoder {
    /// The sequence decoding tables of literal lengths, match lengths and offsets, one after the other, a 16-byte
    /// `ZstdSequenceEntry` per state.
    let sequenceTables: UnsafeMutableRawPointer
    /// Where each table starts in `sequenceTables`, in entries, by kind (0 literal lengths, 1 offsets, 2 match
    /// lengths).
    static let tableStart: InlineArray<3, Int> = [0, 1024, 512]
    let fseScratch: UnsafeMutablePointer<UInt32>
    let huffman: UnsafeMutablePointer<UInt16>
    let streamScratch: UnsafeMutableRawPointer
    let literals: UnsafeMutablePointer<UInt8>
    /// Accuracy logs of the literal-length, offset and match-length tables; −1 until one is built.
    var logs = InlineArray<3, Int>(repeating: -1)
    var huffmanBits = 0
    /// The repeat offsets (3 in the workspace), carried from block to block.
    let repeatOffsets: UnsafeMutablePointer<Int>

    init(_ workspace: UnsafeMutableRawPointer) {
        sequenceTables = workspace + Zstd.sequenceTables
        fseScratch = (workspace + Zstd.fseScratch).bindMemory(to: UInt32.self, capacity: 512)
        huffman = (workspace + Zstd.huffmanTable).bindMemory(to: UInt16.self, capacity: 2048)
        streamScratch = workspace + Zstd.streamScratch
        repeatOffsets = (workspace + Zstd.repeatOffsets).bindMemory(to: Int.self, capacity: 3)
        repeatOffsets[0] = 1
        repeatOffsets[1] = 4
        repeatOffsets[2] = 8
        literals = (workspace + Zstd.literalsBuffer).bindMemory(to: UInt8.self, capacity: Zstd.maxBlockSize + Zstd.wildCopy)
    }

    /// Decodes one compressed block (§3.1.1.3) into `output` at `start`, writing no further than `limit`.
    mutating func decodeBlock(_ block: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer, _ start: Int,
                              _ limit: Int) throws(DecodeError) -> Int
    {
        let (literalCount, literalsEnd) = try decodeLiterals(block)
        var at = literalsEnd

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
        if sequences == 0 {
            guard literalCount <= limit - start else { throw .outputOverflow }
            if literalCount > 0 { (output.baseAddress! + start).copyMemory(from: literals, byteCount: literalCount) }
            return start + literalCount
        }
        guard at < block.count else { throw .truncated }
        let modes = Int(block[at])
        at += 1
        guard modes & 3 == 0 else { throw .badHeader }
        at += try buildTable(0, modes >> 6, UnsafeRawBufferPointer(rebasing: block[at...]))
        at += try buildTable(1, modes >> 4 & 3, UnsafeRawBufferPointer(rebasing: block[at...]))
        at += try buildTable(2, modes >> 2 & 3, UnsafeRawBufferPointer(rebasing: block[at...]))
        let stream = UnsafeRawBufferPointer(rebasing: block[at...])
        return try executeSequences(stream, sequences, literalCount, output.baseAddress!, start, limit)
    }

    /// Decodes the literals section into `literals`; returns the literal count and where the section ends.
    mutating func decodeLiterals(_ block: UnsafeRawBufferPointer) throws(DecodeError) -> (count: Int, end: Int) {
        guard block.count >= 1 else { throw .truncated }
        let first = Int(block[0])
        let literalsType = first & 3, sizeFormat = first >> 2 & 3
        var at: Int
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
            if literalsType == 0 {  // copied, so that wild copies may read past them
                guard regenerated <= block.count - at else { throw .truncated }
                if regenerated > 0 { UnsafeMutableRawPointer(literals).copyMemory(from: block.baseAddress! + at, byteCount: regenerated) }
                at += regenerated
            } else {
                guard at < block.count else { throw .truncated }
                literals.initialize(repeating: block[at], count: regenerated)
                at += 1
            }
            return (regenerated, at)
        }
        // Huffman-compressed, with a new tree or the previous one ("treeless").
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
        if literalsType == 2 {
            let tree = try ZstdHuffman.readTable(data, huffman, fseScratch, scratch: streamScratch)
            huffmanBits = tree.maxBits
            data = UnsafeRawBufferPointer(rebasing: data[tree.used...])
        } else {
            guard huffmanBits > 0 else { throw .badHeader }
        }
        try ZstdHuffman.decodeLiterals(data, fourStreams: sizeFormat != 0, huffman, huffmanBits, literals, regenerated,
                                       scratch: streamScratch)
        return (regenerated, at + compressed)
    }

    /// Sets up the decoding table of `kind` (0 literal lengths, 1 offsets, 2 match lengths) for `mode`
    /// (predefined, RLE, FSE-compressed, repeat); returns the bytes of `source` its description takes.
    mutating func buildTable(_ kind: Int, _ mode: Int, _ source: UnsafeRawBufferPointer) throws(DecodeError) -> Int {
        let maxSymbol = kind == 0 ? 35 : kind == 1 ? 31 : 52
        var counts = InlineArray<256, Int16>(repeating: 0)
        var symbols = 0, log = 0, used = 0
        switch mode {
        case 0:
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
            log = kind == 1 ? 5 : 6
        case 1:  // one symbol, no bits
            guard source.count >= 1 else { throw .truncated }
            let symbol = Int(source[0])
            guard symbol <= maxSymbol else { throw .badHeader }
            counts[symbol] = 1
            symbols = symbol + 1
            used = 1
        case 2:
            let description = try ZstdFSE.readCounts(source, &counts, maxLog: kind == 1 ? 8 : 9, maxSymbol: maxSymbol)
            (symbols, log, used) = description
        default:
            guard logs[kind] >= 0 else { throw .badHeader }
            return 0
        }
        try buildSequenceTable(kind, &counts, symbols, log)
        logs[kind] = log
        return used
    }

    /// Builds the sequence table of `kind` (see `sequenceTables`) for the normalized counts.
    mutating func buildSequenceTable(_ kind: Int, _ counts: inout InlineArray<256, Int16>, _ symbols: Int,
                                     _ log: Int) throws(DecodeError)
    {
        let cells = UnsafeMutableRawPointer(fseScratch).assumingMemoryBound(to: UInt8.self)
        var next = try ZstdFSE.spread(cells, &counts, symbols, log)
        // Each symbol's value: its baseline and extra bits.
        var baselines = InlineArray<64, UInt32>(repeating: 0), extraBits = InlineArray<64, UInt8>(repeating: 0)
        for s in 0..<symbols {
            if kind == 1 {  // offset code n: 2^n plus n bits
                baselines[s] = 1 << UInt32(s)
                extraBits[s] = UInt8(s)
            } else {
                let code = kind == 0 ? Zstd.literalLengthCodes[s] : Zstd.matchLengthCodes[s]
                baselines[s] = code & 0xFF_FFFF
                extraBits[s] = UInt8(code >> 24)
            }
        }
        let start = Self.tableStart[kind]
        for u in 0..<1 << log {
            let s = Int(cells[u])
            let (bits, baseline) = try ZstdFSE.state(&next, s, log)
            ZstdSequenceEntry.store(sequenceTables + (start + u) * ZstdSequenceEntry.size, baseline: baselines[s],
                                extraBits: Int(extraBits[s]), stateBits: bits, nextState: baseline + start)
        }
    }
}

/// A sequence decoding-table entry: the value's baseline and extra bits, the state update's bits and the next
/// state's baseline (counted from `sequenceTables`, so one pointer serves all three tables). Each bit count is
/// stored with 63 − itself, which the bit reader shifts by; the fields are loaded one by one.
enum ZstdSequenceEntry {
    static let size = 16
    static let baseline = 0, nextState = 4, extraBits = 6, stateBits = 8  // each count followed by 63 − count

    /// Writes an entry (two stores: the fields as the little-endian bytes of a UInt64 and a UInt16).
    static func store(_ at: UnsafeMutableRawPointer, baseline value: UInt32, extraBits extra: Int, stateBits bits: Int,
                      nextState next: Int)
    {
        let low = UInt64(value) | UInt64(next) << 32 | UInt64(extra) << 48 | UInt64(63 - extra) << 56
        at.storeBytes(of: low.littleEndian, toByteOffset: baseline, as: UInt64.self)
        at.storeBytes(of: UInt16(bits | (63 - bits) << 8).littleEndian, toByteOffset: stateBits, as: UInt16.self)
    }
}
