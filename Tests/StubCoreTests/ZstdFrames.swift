import TestSupport

/// Test-side zstd (RFC 8878) tooling, independent of StubCore's decoder: a census of what a frame's block and
/// section headers use, and frames crafted sequence by sequence (raw literals, FSE-coded sequences over the
/// predefined or RLE tables), so that the rarer rules — every repeat-offset case, RLE and repeat table modes —
/// are exercised on purpose. libzstd decodes the crafted frames too, as the oracle.
enum ZstdFrames {
    // MARK: Census

    /// The block types, literals section types and sequence table modes `frame` uses (its first frame).
    static func census(_ frame: [UInt8]) -> Set<String> {
        var features = Set<String>()
        let descriptor = frame[4]
        let singleSegment = descriptor & 0x20 != 0, contentSizeFlag = Int(descriptor >> 6)
        var at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)]
        at += contentSizeFlag == 0 ? (singleSegment ? 1 : 0) : 1 << contentSizeFlag
        while true {
            let header = Int(frame[at]) | Int(frame[at + 1]) << 8 | Int(frame[at + 2]) << 16
            at += 3
            let size = header >> 3
            switch header >> 1 & 3 {
            case 0:
                features.insert("raw block")
                at += size
            case 1:
                features.insert("RLE block")
                at += 1
            default:
                features.formUnion(compressedBlock(Array(frame[at..<at + size])))
                at += size
            }
            if header & 1 != 0 { return features }
        }
    }

    static func compressedBlock(_ block: [UInt8]) -> Set<String> {
        var features: Set<String> = ["compressed block"]
        let first = Int(block[0]), type = first & 3, sizeFormat = first >> 2 & 3
        var at: Int
        if type < 2 {
            features.insert(type == 0 ? "raw literals" : "RLE literals")
            let headerSize = sizeFormat & 1 == 0 ? 1 : sizeFormat == 1 ? 2 : 3
            let regenerated = headerSize == 1 ? first >> 3
                : headerSize == 2 ? first >> 4 | Int(block[1]) << 4
                : first >> 4 | Int(block[1]) << 4 | Int(block[2]) << 12
            at = headerSize + (type == 0 ? regenerated : 1)
        } else {
            let streams = sizeFormat == 0 ? "1 stream" : "4 streams"
            features.insert((type == 2 ? "Huffman literals, " : "treeless literals, ") + streams)
            let headerSize = sizeFormat < 2 ? 3 : sizeFormat + 1
            var value = 0
            for i in 0..<headerSize { value |= Int(block[i]) << (8 * i) }
            let sizeBits = sizeFormat < 2 ? 10 : sizeFormat == 2 ? 14 : 18
            at = headerSize + (value >> (4 + sizeBits) & (1 << sizeBits - 1))
        }
        var sequences = Int(block[at])
        at += 1
        if sequences == 255 {
            sequences = Int(block[at]) + Int(block[at + 1]) << 8 + 0x7F00
            at += 2
        } else if sequences >= 128 {
            sequences = (sequences - 128) << 8 + Int(block[at])
            at += 1
        }
        if sequences == 0 { return features.union(["no sequences"]) }
        let modes = Int(block[at]), names = ["predefined", "RLE", "FSE", "repeat"]
        features.insert("literal lengths " + names[modes >> 6])
        features.insert("offsets " + names[modes >> 4 & 3])
        features.insert("match lengths " + names[modes >> 2 & 3])
        return features
    }

    // MARK: Crafted frames

    /// A sequence as it is coded: literal length, offset value (1...3: a repeat offset, else offset + 3), match
    /// length.
    struct Sequence {
        var literalLength: Int, offsetValue: Int, matchLength: Int
    }

    enum Mode {
        case predefined, rle(UInt8), repeated
        var number: Int {
            switch self {
            case .predefined: 0
            case .rle: 1
            case .repeated: 3
            }
        }
    }

    /// An FSE decoding table (RFC 8878 §4.1.1): each state's symbol, bits and next-state baseline.
    struct Table {
        var symbol: [Int] = [], bits: [Int] = [], baseline: [Int] = []
        var log = 0

        init(symbol: [Int], bits: [Int], baseline: [Int], log: Int) {
            (self.symbol, self.bits, self.baseline, self.log) = (symbol, bits, baseline, log)
        }

        init(counts: [Int], log: Int) {
            self.log = log
            let size = 1 << log
            var cells = [Int](repeating: 0, count: size), next = counts.map { $0 == -1 ? 1 : $0 }
            var high = size - 1
            for (s, count) in counts.enumerated() where count == -1 {
                cells[high] = s
                high -= 1
            }
            var position = 0
            for (s, count) in counts.enumerated() where count > 0 {
                for _ in 0..<count {
                    cells[position] = s
                    repeat { position = (position + (size >> 1) + (size >> 3) + 3) & (size - 1) } while position > high
                }
            }
            for u in 0..<size {
                let s = cells[u], state = next[s]
                next[s] += 1
                let bits = log - (Int.bitWidth - 1 - state.leadingZeroBitCount)
                symbol.append(s)
                self.bits.append(bits)
                baseline.append((state << bits) - size)
            }
        }

        static func rle(_ symbol: UInt8) -> Table { Table(symbol: [Int(symbol)], bits: [0], baseline: [0], log: 0) }

        /// States spelling `symbols`, each reachable from the one before (its baseline plus its bits), or nil.
        func path(_ symbols: [Int]) -> [Int]? {
            var reachable: [[Int: Int]] = []  // state → the state before it
            for (i, wanted) in symbols.enumerated() {
                var here: [Int: Int] = [:]
                for state in symbol.indices where symbol[state] == wanted {
                    if i == 0 { here[state] = -1; continue }
                    if let before = reachable[i - 1].keys.sorted().first(where: {
                        state >= baseline[$0] && state < baseline[$0] + 1 << bits[$0]
                    }) {
                        here[state] = before
                    }
                }
                if here.isEmpty { return nil }
                reachable.append(here)
            }
            var states = [reachable.last!.keys.sorted().first!]
            for i in stride(from: symbols.count - 1, to: 0, by: -1) { states.insert(reachable[i][states[0]]!, at: 0) }
            return states
        }
    }

    static let literalLengthCounts = [
        4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1,
    ]
    static let matchLengthCounts = [
        1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
    ]
    static let offsetCounts = [1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1]
    /// Baselines and extra bits of the literal-length and match-length codes (§3.1.1.3.2.1.1).
    static let literalLengthCodes: [(Int, Int)] = (0..<16).map { ($0, 0) } + [
        (16, 1), (18, 1), (20, 1), (22, 1), (24, 2), (28, 2), (32, 3), (40, 3), (48, 4), (64, 6), (128, 7),
        (256, 8), (512, 9), (1024, 10), (2048, 11), (4096, 12), (8192, 13), (16384, 14), (32768, 15), (65536, 16),
    ]
    static let matchLengthCodes: [(Int, Int)] = (0..<32).map { ($0 + 3, 0) } + [
        (35, 1), (37, 1), (39, 1), (41, 1), (43, 2), (47, 2), (51, 3), (59, 3), (67, 4), (83, 4), (99, 5),
        (131, 7), (259, 8), (515, 9), (1027, 10), (2051, 11), (4099, 12), (8195, 13), (16387, 14), (32771, 15),
        (65539, 16),
    ]

    /// The code of `value` and its extra bits.
    static func code(_ value: Int, _ codes: [(Int, Int)]) -> (code: Int, extra: Int, bits: Int) {
        let code = codes.lastIndex { $0.0 <= value }!
        return (code, value - codes[code].0, codes[code].1)
    }

    /// The tables a block's modes give, from the previous block's for `.repeated`.
    static func tables(_ modes: (Mode, Mode, Mode), previous: (Table, Table, Table)?) -> (Table, Table, Table) {
        func table(_ mode: Mode, _ kind: Int) -> Table {
            switch mode {
            case .predefined:
                return kind == 0 ? Table(counts: literalLengthCounts, log: 6)
                    : kind == 1 ? Table(counts: offsetCounts, log: 5) : Table(counts: matchLengthCounts, log: 6)
            case .rle(let symbol): return .rle(symbol)
            case .repeated: return kind == 0 ? previous!.0 : kind == 1 ? previous!.1 : previous!.2
            }
        }
        return (table(modes.0, 0), table(modes.1, 1), table(modes.2, 2))
    }

    /// The body of a compressed block of raw `literals` and `sequences` coded with `tables` (literal lengths,
    /// offsets, match lengths), or nil if the tables cannot spell them.
    static func block(literals: [UInt8], _ sequences: [Sequence], modes: (Mode, Mode, Mode),
                      tables: (Table, Table, Table), rleLiterals: Bool = false) -> [UInt8]?
    {
        precondition(literals.count < 32 && !sequences.isEmpty && sequences.count < 128)
        let ll = sequences.map { code($0.literalLength, literalLengthCodes) }
        let ml = sequences.map { code($0.matchLength, matchLengthCodes) }
        let of = sequences.map { s in
            let code = Int.bitWidth - 1 - s.offsetValue.leadingZeroBitCount
            return (code: code, extra: s.offsetValue - 1 << code, bits: code)
        }
        guard let llStates = tables.0.path(ll.map(\.code)), let ofStates = tables.1.path(of.map(\.code)),
              let mlStates = tables.2.path(ml.map(\.code)) else { return nil }
        // The backward bitstream, in the order the decoder reads it.
        var bits: [Bool] = []
        func put(_ value: Int, _ count: Int) {
            for i in stride(from: count - 1, through: 0, by: -1) { bits.append(value >> i & 1 != 0) }
        }
        put(llStates[0], tables.0.log)
        put(ofStates[0], tables.1.log)
        put(mlStates[0], tables.2.log)
        for i in sequences.indices {
            put(of[i].extra, of[i].bits)
            put(ml[i].extra, ml[i].bits)
            put(ll[i].extra, ll[i].bits)
            if i + 1 < sequences.count {
                for (table, states) in [(tables.0, llStates), (tables.2, mlStates), (tables.1, ofStates)] {
                    put(states[i + 1] - table.baseline[states[i]], table.bits[states[i]])
                }
            }
        }
        var stream = [UInt8](repeating: 0, count: bits.count / 8 + 1)
        for (j, bit) in bits.enumerated() where bit {
            let position = bits.count - 1 - j
            stream[position / 8] |= 1 << (position % 8)
        }
        stream[bits.count / 8] |= 1 << (bits.count % 8)  // the end marker
        var body = rleLiterals ? [UInt8(literals.count << 3 | 1), literals[0]] : [UInt8(literals.count << 3)] + literals
        body.append(UInt8(sequences.count))
        body.append(UInt8(modes.0.number << 6 | modes.1.number << 4 | modes.2.number << 2))
        for mode in [modes.0, modes.1, modes.2] { if case .rle(let symbol) = mode { body.append(symbol) } }
        return body + stream
    }

    /// A single-segment frame of `blocks` (compressed block bodies) declaring `size` bytes of content, no checksum.
    static func frame(_ blocks: [[UInt8]], size: Int) -> [UInt8] {
        precondition(size < 65536 + 256)
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        frame += size < 256 ? [0x20, UInt8(size)] : [0x60, UInt8((size - 256) & 0xFF), UInt8((size - 256) >> 8)]
        for (i, body) in blocks.enumerated() {
            let header = body.count << 3 | 2 << 1 | (i == blocks.count - 1 ? 1 : 0)
            frame += [UInt8(header & 0xFF), UInt8(header >> 8 & 0xFF), UInt8(header >> 16)] + body
        }
        return frame
    }

    /// Sequences with `literalRuns` literals each that use each repeat-offset case — offset values 1, 2, 3, with
    /// and without literals — among new offsets, all valid by the rules of §3.1.1.5 (runs whose sequence would
    /// not be are dropped); `repeats` and `position` (the output's size) carry from one call to the next.
    static func repeatOffsetPlan(literalRuns: [Int], matchLengths: ClosedRange<Int> = 3...40,
                                 using generator: inout SeededGenerator, repeats: inout [Int],
                                 position: inout Int, used: inout Set<String>) -> [Sequence]
    {
        var wanted = [(1, true), (1, false), (2, true), (2, false), (3, true), (3, false)].shuffled(using: &generator)
        var plan: [Sequence] = []
        for literalLength in literalRuns {
            let matchLength = Int.random(in: matchLengths, using: &generator)
            let end = position + literalLength
            // A wanted repeat case if it is valid here, else a new offset.
            var chosen: (value: Int, offset: Int)?
            if let i = wanted.firstIndex(where: { ($0.1 == (literalLength > 0)) }) {
                let value = wanted[i].0
                let index = value - 1 + (literalLength == 0 ? 1 : 0)
                let offset = index == 3 ? repeats[0] - 1 : repeats[index]
                if offset >= 1 && offset <= end {
                    chosen = (value, offset)
                    wanted.remove(at: i)
                }
            }
            let (value, offset) = chosen ?? { let o = Int.random(in: 1...max(1, end), using: &generator); return (o + 3, o) }()
            guard offset <= end else { continue }
            // The repeat offsets after this sequence.
            let index = value > 3 ? -1 : value - 1 + (literalLength == 0 ? 1 : 0)
            if index != 0 {
                if index != 1 { repeats[2] = repeats[1] }
                repeats[1] = repeats[0]
                repeats[0] = offset
            }
            if value <= 3 { used.insert("offset value \(value)" + (literalLength == 0 ? " without literals" : "")) }
            plan.append(Sequence(literalLength: literalLength, offsetValue: value, matchLength: matchLength))
            position = end + matchLength
        }
        return plan
    }
}
