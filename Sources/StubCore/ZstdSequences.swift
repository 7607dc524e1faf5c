/// Decoding the sequences of a block and executing them (RFC 8878 §3.1.1.3.2, §3.1.1.4): copy each one's
/// literals, then its match. Every sequence is checked against the literals left, the output written and the
/// output's end before anything is copied; the copies themselves then run unchecked, 16 bytes at a time while the
/// output's end is far enough away for them to overshoot.
extension ZstdBlockDecoder {
    mutating func executeSequences(_ stream: UnsafeRawBufferPointer, _ count: Int, _ literalCount: Int,
                                   _ out: UnsafeMutableRawPointer, _ start: Int, _ limit: Int) throws(DecodeError) -> Int
    {
        var reader = try ZstdSequenceReader(stream, self)
        var run = ZstdSequenceRun(out: out, at: start, limit: limit, literals: UnsafePointer(literals), count: literalCount)
        var ahead = ZstdLookahead(out: out, at: start)
        var index = 0
        while index < count + ZstdLookahead.depth {
            if index >= ZstdLookahead.depth { try run.execute(ahead[index]) }  // the one pushed `depth` ago
            if index < count { ahead.push(reader.next(last: index == count - 1), index) }
            index &+= 1
        }
        guard reader.bits.remaining == 0 else { throw .badHeader }
        return try run.finish()
    }
}

/// Matches reach up to 128 MiB back, mostly out of the cache: each sequence is decoded `depth` sequences before
/// it is executed, its match prefetched meanwhile.
struct ZstdLookahead {
    static let depth = 32
    var ring = InlineArray<32, ZstdSequence>(repeating: ZstdSequence(literalLength: 0, matchLength: 0, offset: 0))
    /// The address the sequences pushed so far will have brought the output to (garbage if they are corrupt:
    /// prefetches never fault).
    var predicted: UInt

    init(out: UnsafeMutableRawPointer, at start: Int) {
        predicted = UInt(bitPattern: out + start)
    }

    /// The sequence pushed as number `index` (the last `depth` are kept).
    subscript(index: Int) -> ZstdSequence { ring[index & (Self.depth - 1)] }

    @inline(__always)
    mutating func push(_ sequence: ZstdSequence, _ index: Int) {
        predicted &+= UInt(bitPattern: sequence.literalLength)
        if let match = UnsafeRawPointer(bitPattern: predicted &- UInt(bitPattern: sequence.offset)) {
            prefetch(match)
            prefetch(match + 63)  // a match of up to 64 bytes may straddle two cache lines
        }
        predicted &+= UInt(bitPattern: sequence.matchLength)
        ring[index & (Self.depth - 1)] = sequence
    }
}

struct ZstdSequence {
    var literalLength, matchLength, offset: Int
}

/// The three FSE states and the repeat offsets over the backward bitstream of a block's sequences.
struct ZstdSequenceReader {
    var bits: BackwardBits
    let tables: UnsafeRawPointer
    var llState: Int, ofState: Int, mlState: Int
    /// The three repeat offsets, in the workspace: they change rarely enough that registers serve the states better.
    var repeats: UnsafeMutablePointer<Int> { inWorkspace(Zstd.repeatOffsets) }

    /// What lies at `offset` in the workspace, addressed from `tables` (at its start) to spare a register.
    func inWorkspace<T>(_ offset: Int) -> UnsafeMutablePointer<T> {
        (UnsafeMutableRawPointer(mutating: tables) + (offset - Zstd.sequenceTables)).assumingMemoryBound(to: T.self)
    }

    init(_ stream: UnsafeRawBufferPointer, _ decoder: ZstdBlockDecoder) throws(DecodeError) {
        bits = try BackwardBits(stream, scratch: decoder.streamScratch)
        tables = UnsafeRawPointer(decoder.sequenceTables)
        // Bits are read without checks: valid streams never need more than a refill guarantees, corrupt ones read
        // garbage (never outside the stream), which the execution's checks or the stream's end catch.
        llState = bits.read(decoder.logs[0]) + ZstdBlockDecoder.tableStart[0]
        ofState = bits.read(decoder.logs[1]) + ZstdBlockDecoder.tableStart[1]
        mlState = bits.read(decoder.logs[2]) + ZstdBlockDecoder.tableStart[2]
        bits.refill()
    }

    /// The fields of a `ZstdSequenceEntry`, each loaded on its own (cheaper than shifting them out of one load).
    struct Entry {
        let at: UnsafeRawPointer
        var baseline: Int { Int(at.load(fromByteOffset: ZstdSequenceEntry.baseline, as: UInt32.self)) }
        var nextState: Int { Int(at.load(fromByteOffset: ZstdSequenceEntry.nextState, as: UInt16.self)) }
        /// Bit counts with 63 − themselves.
        var extraBits: (Int, Int) { count(ZstdSequenceEntry.extraBits) }
        var stateBits: (Int, Int) { count(ZstdSequenceEntry.stateBits) }

        @inline(__always)
        func count(_ offset: Int) -> (Int, Int) {
            (Int(at.load(fromByteOffset: offset, as: UInt8.self)), Int(at.load(fromByteOffset: offset + 1, as: UInt8.self)))
        }
    }

    @inline(__always)
    func entry(_ state: Int) -> Entry { Entry(at: tables + state &* ZstdSequenceEntry.size) }

    /// Decodes the next sequence; the states advance unless it is the `last`.
    @inline(__always)
    mutating func next(last: Bool) -> ZstdSequence {
        let ll = entry(llState), ml = entry(mlState), of = entry(ofState)
        // Extra bits: offset, match length, literal length (at most 31 + 16 + 16, more than one refill holds).
        let ofBits = of.extraBits, mlBits = ml.extraBits, llBits = ll.extraBits
        let offsetValue = of.baseline &+ bits.read(ofBits.0, inverse: ofBits.1)
        let matchLength = ml.baseline &+ bits.read(mlBits.0, inverse: mlBits.1)
        if ofBits.0 + mlBits.0 + llBits.0 > 30 { bits.refill() }
        let literalLength = ll.baseline &+ bits.read(llBits.0, inverse: llBits.1)

        // Offset values 1-3 name repeat offsets, shifted by one when there are no literals (§3.1.1.5).
        var offset: Int
        if ofBits.0 > 1 {
            offset = offsetValue &- 3
            repeats[2] = repeats[1]
            repeats[1] = repeats[0]
            repeats[0] = offset
        } else {
            let index = offsetValue - (literalLength == 0 ? 0 : 1)  // 0...3: offset codes 0 and 1 give values 1...3
            if index == 0 {
                offset = repeats[0]
            } else {
                offset = index == 3 ? repeats[0] &- 1 : repeats[index]
                if index != 1 { repeats[2] = repeats[1] }
                repeats[1] = repeats[0]
                repeats[0] = offset
            }
        }
        if !last {  // the next states: literal length, match length, offset
            let llUpdate = ll.stateBits, mlUpdate = ml.stateBits, ofUpdate = of.stateBits
            llState = ll.nextState &+ bits.read(llUpdate.0, inverse: llUpdate.1)
            mlState = ml.nextState &+ bits.read(mlUpdate.0, inverse: mlUpdate.1)
            ofState = of.nextState &+ bits.read(ofUpdate.0, inverse: ofUpdate.1)
            bits.refill()
        }
        return ZstdSequence(literalLength: literalLength, matchLength: matchLength, offset: offset)
    }
}

/// Executing sequences into the output, with pointers: where the output and the literals are.
struct ZstdSequenceRun {
    let base: UnsafeMutableRawPointer
    var out: UnsafeMutableRawPointer
    /// Sequences ending at or before `fastEnd` take the fast, overshooting copies; the output ends `wildCopy`
    /// bytes after it.
    let fastEnd: UnsafeMutableRawPointer
    var literals: UnsafePointer<UInt8>
    let literalsEnd: UnsafePointer<UInt8>

    init(out: UnsafeMutableRawPointer, at start: Int, limit: Int, literals: UnsafePointer<UInt8>, count: Int) {
        base = out
        self.out = out + start
        fastEnd = out + limit - Zstd.wildCopy
        self.literals = literals
        literalsEnd = literals + count
    }

    @inline(__always)
    mutating func execute(_ sequence: ZstdSequence) throws(DecodeError) {
        let literalLength = sequence.literalLength, offset = sequence.offset, matchLength = sequence.matchLength
        guard literalLength <= literalsEnd - literals else { throw .badHeader }
        let match = out + literalLength
        guard offset > 0, offset <= match - base else { throw .badOffset }
        let matchEnd = match + matchLength
        if matchEnd <= fastEnd {
            ZstdBlockDecoder.copyLiteralsWild(out, literals, literalLength)
            ZstdBlockDecoder.copyMatchWild(match, offset, matchLength)
        } else {
            try copyExactly(literalLength, match, offset, matchLength)
        }
        literals += literalLength
        out = matchEnd
    }

    /// The copies of a sequence near the output's end, exact. Not inlined: it is rare, and its calls would cost
    /// the fast path registers.
    @inline(never)
    func copyExactly(_ literalLength: Int, _ match: UnsafeMutableRawPointer, _ offset: Int, _ matchLength: Int)
        throws(DecodeError)
    {
        guard matchLength <= fastEnd + Zstd.wildCopy - match else { throw .outputOverflow }
        if literalLength > 0 { out.copyMemory(from: literals, byteCount: literalLength) }
        ZstdBlockDecoder.copyMatch(match, offset, matchLength)
    }

    /// Copies the literals after the last sequence; returns the output's size.
    func finish() throws(DecodeError) -> Int {
        let rest = literalsEnd - literals
        guard rest <= fastEnd + Zstd.wildCopy - out else { throw .outputOverflow }
        if rest > 0 { out.copyMemory(from: literals, byteCount: rest) }
        return out + rest - base
    }
}

extension ZstdBlockDecoder {
    /// Copies `count` literals 16 bytes at a time: writes up to 15 bytes more, reads as many past `source + count`.
    @inline(__always)
    static func copyLiteralsWild(_ target: UnsafeMutableRawPointer, _ source: UnsafePointer<UInt8>, _ count: Int) {
        copy16(target, source)
        var at = 16
        while at < count {
            copy16(target + at, source + at)
            at &+= 16
        }
    }

    /// Copies a match of `count` bytes from `offset` back to `target`, in 16- or 8-byte chunks that each read only
    /// bytes already written: writes up to 15 bytes more. Offsets below 8 first lay down 8 bytes one by one, after
    /// which the pattern repeats at a distance of 8 or more (a multiple of the offset).
    @inline(__always)
    static func copyMatchWild(_ target: UnsafeMutableRawPointer, _ offset: Int, _ count: Int) {
        var source = UnsafeRawPointer(target - offset)
        if offset >= 16 {
            var at = 0
            repeat {
                copy16(target + at, source + at)
                at &+= 16
            } while at < count
            return
        }
        var at = 0
        if offset < 8 {
            for i in 0..<8 { target.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
            source = UnsafeRawPointer(target - spreadDistance[offset])
            at = 8
        }
        while at < count {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: at, as: UInt64.self), toByteOffset: at,
                              as: UInt64.self)
            at &+= 8
        }
    }

    /// For offsets 1...7: the smallest multiple of the offset that is at least 8.
    static let spreadDistance: InlineArray<8, Int> = [8, 8, 8, 9, 8, 10, 12, 14]

    @inline(__always)
    static func copy16(_ target: UnsafeMutableRawPointer, _ source: UnsafeRawPointer) {
        let low = source.loadUnaligned(as: UInt64.self), high = source.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        target.storeBytes(of: low, as: UInt64.self)
        target.storeBytes(of: high, toByteOffset: 8, as: UInt64.self)
    }

    /// Copies a match of `count` bytes from `offset` back exactly, for the end of the output; overlapping matches
    /// repeat their pattern, copied in doubling non-overlapping chunks.
    static func copyMatch(_ target: UnsafeMutableRawPointer, _ offset: Int, _ count: Int) {
        var at = 0, distance = offset
        while at < count {
            let n = min(distance, count - at)
            (target + at).copyMemory(from: target + (at - distance), byteCount: n)
            at += n
            distance += distance
        }
    }
}
