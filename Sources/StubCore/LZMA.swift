/// LZMA as .lzma (LZMA-alone) and LZMA2 carry it, decoded in single-call mode: the dictionary IS the output
/// buffer, so a match may reach back anywhere into what this stream has written since its last dictionary reset.
/// Heap-free: the adaptive probabilities live in a caller-provided workspace of `LZMA.workspaceSize` bytes
/// (enough for lc + lp ≤ 4, the LZMA2 limit and what `lzma -0 … -9` write). Every read from the input and every
/// write to the output is guarded explicitly, and input-derived arithmetic wraps instead of trapping, so corrupt
/// input is a `DecodeError` in the stub as on the host.
public enum LZMA {
    // Offsets (in UInt16 probabilities) of the model's parts inside the workspace, written out as literals so
    // the freestanding build needs no lazy global initialisation.
    static let isMatch = 0  // [state << 4 | posState], 12 states × 16
    static let isRep = 192  // [state]
    static let isRep0 = 204
    static let isRep1 = 216
    static let isRep2 = 228
    static let isRep0Long = 240  // [state << 4 | posState]
    static let distSlot = 432  // [4][64], by min(length - 2, 3)
    static let distSpecial = 688  // distances of slots 4 ..< 14: 114 probabilities
    static let distAlign = 802  // 16
    static let matchLength = 818  // a length coder: choice, choice2, low[16][8], mid[16][8], high[256] = 514
    static let repLength = 1332
    static let literal = 1846  // [0x300 << (lc + lp)]
    static let lengthChoice2 = 1
    static let lengthLow = 2
    static let lengthMid = 130
    static let lengthHigh = 258
    static let maxLiteralBits = 4
    /// The probability count for lc + lp ≤ 4: literal + 0x300 << 4.
    static let probabilityCount = 14134

    /// Bytes of workspace the LZMA decoder needs.
    public static let workspaceSize = 28268

    /// lc, lp and pb from the properties byte (lc + 9 × (lp + 5 × pb)); nil when out of range or past the
    /// workspace's lc + lp ≤ 4.
    static func properties(_ byte: UInt8) -> (lc: Int, lp: Int, pb: Int)? {
        guard byte < 9 * 5 * 5 else { return nil }
        let value = Int(byte)
        let lc = value % 9, lp = value / 9 % 5, pb = value / 45
        guard lc + lp <= maxLiteralBits else { return nil }
        return (lc, lp, pb)
    }
}

/// The range decoder over one span of input. Reading past the span's end feeds zeros and sets `overrun`; the
/// decoder checks it once per symbol, so the hot bit decoding has no throwing path.
struct RangeDecoder {
    let input: UnsafeRawBufferPointer
    var position: Int
    var range: UInt32 = 0xFFFF_FFFF
    var code: UInt32 = 0
    var overrun = false

    /// Starts decoding at `position`: a zero byte, then the first four code bytes (big-endian).
    init(_ input: UnsafeRawBufferPointer, at position: Int) throws(DecodeError) {
        self.input = input
        self.position = position
        guard position >= 0, input.count - position >= 5 else { throw .truncated }
        guard input[position] == 0 else { throw .badHeader }
        var value: UInt32 = 0
        for k in 1...4 { value = value << 8 | UInt32(input[position + k]) }
        code = value
        self.position = position + 5
    }

    /// True once the stream ended cleanly: the encoder's flush leaves the code at zero.
    var isFinished: Bool { code == 0 && !overrun }

    @inline(__always)
    mutating func normalize() {
        if range < 1 << 24 {
            var byte: UInt8 = 0
            if position < input.count {
                byte = input[position]
                position += 1
            } else {
                overrun = true
            }
            range = range << 8
            code = code << 8 | UInt32(byte)
        }
    }

    /// One bit through the adaptive probability at `p`.
    @inline(__always)
    mutating func bit(_ p: UnsafeMutablePointer<UInt16>) -> UInt32 {
        normalize()
        let probability = UInt32(p.pointee)
        let bound = (range >> 11) &* probability
        if code < bound {
            range = bound
            p.pointee = UInt16(truncatingIfNeeded: probability &+ ((2048 &- probability) >> 5))
            return 0
        } else {
            range = range &- bound
            code = code &- bound
            p.pointee = UInt16(truncatingIfNeeded: probability &- (probability >> 5))
            return 1
        }
    }

    /// A `count`-bit symbol through the bit tree at `probs` (indices 1 ..< 2^count), most significant bit first.
    @inline(__always)
    mutating func tree(_ probs: UnsafeMutablePointer<UInt16>, _ count: Int) -> UInt32 {
        var m: UInt32 = 1
        for _ in 0..<count { m = m << 1 | bit(probs + Int(m)) }
        return m &- (1 << UInt32(count))
    }

    /// A `count`-bit symbol through the bit tree at `probs`, least significant bit first.
    @inline(__always)
    mutating func reverseTree(_ probs: UnsafeMutablePointer<UInt16>, _ count: Int) -> UInt32 {
        var m: UInt32 = 1, symbol: UInt32 = 0
        for k in 0..<count {
            let b = bit(probs + Int(m))
            m = m << 1 | b
            symbol |= b << UInt32(k)
        }
        return symbol
    }

    /// `count` bits at probability one half.
    @inline(__always)
    mutating func direct(_ count: Int) -> UInt32 {
        var result: UInt32 = 0
        for _ in 0..<count {
            normalize()
            range >>= 1
            code = code &- range
            let mask = 0 &- (code >> 31)  // all ones when the subtraction went negative: the bit is 0
            code = code &+ (range & mask)
            result = result << 1 | (mask &+ 1)
        }
        return result
    }
}

/// The LZMA model and its position in the output. The output buffer is the dictionary: `dictionaryStart` is where
/// the last dictionary reset happened, and positions for lp and pb count from there.
struct LZMADecoder {
    let probs: UnsafeMutablePointer<UInt16>
    let output: UnsafeMutableRawBufferPointer
    var dictionaryStart = 0
    var written = 0
    var lc = 0, lp = 0, pb = 0
    var state = 0
    var rep0: UInt32 = 0, rep1: UInt32 = 0, rep2: UInt32 = 0, rep3: UInt32 = 0

    /// `workspace` must hold `LZMA.workspaceSize` bytes, 2-byte aligned.
    init(workspace: UnsafeMutableRawBufferPointer, output: UnsafeMutableRawBufferPointer) throws(DecodeError) {
        // The probabilities are UInt16s: the workspace must be 2-byte aligned.
        guard workspace.count >= LZMA.workspaceSize, let base = workspace.baseAddress,
              Int(bitPattern: base) & 1 == 0 else { throw .outputOverflow }
        probs = base.bindMemory(to: UInt16.self, capacity: LZMA.probabilityCount)
        self.output = output
    }

    mutating func setProperties(_ byte: UInt8) throws(DecodeError) {
        guard let p = LZMA.properties(byte) else { throw .badHeader }
        (lc, lp, pb) = p
    }

    /// Fresh probabilities (one half each), state and repeat distances, for the current lc + lp.
    mutating func resetState() {
        let count = LZMA.literal + 0x300 << (lc + lp)
        var i = 0
        while i < count { probs[i] = 1024; i += 1 }
        state = 0
        rep0 = 0; rep1 = 0; rep2 = 0; rep3 = 0
    }

    @inline(__always)
    func length(_ rc: inout RangeDecoder, _ coder: Int, _ posState: Int) -> Int {
        let base = probs + coder
        if rc.bit(base) == 0 { return 2 + Int(rc.tree(base + LZMA.lengthLow + posState << 3, 3)) }
        if rc.bit(base + LZMA.lengthChoice2) == 0 {
            return 10 + Int(rc.tree(base + LZMA.lengthMid + posState << 3, 3))
        }
        return 18 + Int(rc.tree(base + LZMA.lengthHigh, 8))
    }

    /// Decodes until the output reaches `limit` (exactly: a match may not cross it) or, when `endMarker` is
    /// allowed, until the end-of-payload marker. Returns true when the marker ended it.
    mutating func decode(_ rc: inout RangeDecoder, limit: Int, endMarker: Bool) throws(DecodeError) -> Bool {
        guard limit <= output.count, let out = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            if limit == 0 && written == 0 { return false }
            throw .outputOverflow
        }
        let pbMask = 1 << pb - 1, lpMask = 1 << lp - 1
        var o = written
        defer { written = o }
        while o < limit || endMarker {
            // A symbol reads all its input before it writes.
            reportProgress(rc.input, rc.position, output, o)
            let posState = (o - dictionaryStart) & pbMask
            if rc.bit(probs + LZMA.isMatch + state << 4 + posState) == 0 {
                // Literal: its coder is chosen by lp low position bits and lc high bits of the previous byte.
                guard o < limit else { throw .outputOverflow }
                let previous = o > dictionaryStart ? Int(out[o - 1]) : 0
                let coder = probs + LZMA.literal
                    + 0x300 * (((o - dictionaryStart) & lpMask) << lc + previous >> (8 - lc))
                var symbol: UInt32 = 1
                if state < 7 {
                    while symbol < 0x100 { symbol = symbol << 1 | rc.bit(coder + Int(symbol)) }
                } else {
                    // After a match the byte at rep0 steers the bits until the first mismatch.
                    guard Int(rep0) < o - dictionaryStart else { throw .badOffset }
                    var matchByte = UInt32(out[o - Int(rep0) - 1])
                    var offset: UInt32 = 0x100
                    while symbol < 0x100 {
                        matchByte <<= 1
                        let matchBit = matchByte & offset
                        let b = rc.bit(coder + Int(offset + matchBit + symbol))
                        symbol = symbol << 1 | b
                        offset &= b != 0 ? matchBit : ~matchBit
                    }
                }
                guard !rc.overrun else { throw .truncated }
                out[o] = UInt8(truncatingIfNeeded: symbol)
                o += 1
                state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6
                continue
            }
            var count: Int
            if rc.bit(probs + LZMA.isRep + state) != 0 {
                // A repeated distance.
                guard o > dictionaryStart else { throw .badOffset }
                if rc.bit(probs + LZMA.isRep0 + state) == 0 {
                    if rc.bit(probs + LZMA.isRep0Long + state << 4 + posState) == 0 {
                        // Short rep: one byte at rep0.
                        guard !rc.overrun else { throw .truncated }
                        guard Int(rep0) < o - dictionaryStart else { throw .badOffset }
                        guard o < limit else { throw .outputOverflow }
                        out[o] = out[o - Int(rep0) - 1]
                        o += 1
                        state = state < 7 ? 9 : 11
                        continue
                    }
                } else {
                    let distance: UInt32
                    if rc.bit(probs + LZMA.isRep1 + state) == 0 {
                        distance = rep1
                    } else {
                        if rc.bit(probs + LZMA.isRep2 + state) == 0 {
                            distance = rep2
                        } else {
                            distance = rep3
                            rep3 = rep2
                        }
                        rep2 = rep1
                    }
                    rep1 = rep0
                    rep0 = distance
                }
                count = length(&rc, LZMA.repLength, posState)
                state = state < 7 ? 8 : 11
            } else {
                // A new match: length, then a distance slot (by length) and its extra bits.
                rep3 = rep2; rep2 = rep1; rep1 = rep0
                count = length(&rc, LZMA.matchLength, posState)
                state = state < 7 ? 7 : 10
                let slot = rc.tree(probs + LZMA.distSlot + min(count - 2, 3) << 6, 6)
                if slot < 4 {
                    rep0 = slot
                } else {
                    let extra = Int(slot >> 1) - 1
                    var distance = (2 | slot & 1) << UInt32(extra)
                    if slot < 14 {
                        distance |= rc.reverseTree(probs + LZMA.distSpecial + Int(distance) - Int(slot) - 1, extra)
                    } else {
                        distance |= rc.direct(extra - 4) << 4
                        distance |= rc.reverseTree(probs + LZMA.distAlign - 1, 4)
                    }
                    rep0 = distance
                    if distance == 0xFFFF_FFFF {
                        rc.normalize()
                        guard !rc.overrun else { throw .truncated }
                        guard endMarker else { throw .badOffset }
                        return true
                    }
                }
            }
            guard !rc.overrun else { throw .truncated }
            guard Int(rep0) < o - dictionaryStart else { throw .badOffset }
            guard count <= limit - o else { throw .outputOverflow }
            LZ4.copyMatch(UnsafeMutableRawPointer(out), from: o - Int(rep0) - 1, to: o, count: count)
            o += count
        }
        // Leave the range decoder normalised, as the encoder's flush expects: then a finished stream's code is zero
        // and it has consumed exactly its bytes.
        reportProgress(rc.input, rc.position, output, o)
        rc.normalize()
        guard !rc.overrun else { throw .truncated }
        return false
    }
}

/// The .lzma (LZMA-alone) format `lzma` and the kernel's `unlzma` use: a properties byte, the dictionary size
/// (LE32), the uncompressed size (LE64, all ones when unknown, the stream then ending with the end marker), and
/// one LZMA stream.
public enum LZMAAlone {
    public static let workspaceSize = LZMA.workspaceSize

    /// Decodes a whole .lzma file into `output`; returns the bytes written. Bytes after the stream are ignored.
    public static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                              workspace: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
    {
        guard input.count >= 13 else { throw .truncated }
        var decoder = try LZMADecoder(workspace: workspace, output: output)
        try decoder.setProperties(input[0])
        var size: UInt64 = 0
        for k in 0..<8 { size |= UInt64(input[5 + k]) << UInt64(8 * k) }
        let known = size != UInt64.max
        if known { guard size <= UInt64(output.count) else { throw .outputOverflow } }
        let limit = known ? Int(size) : output.count
        decoder.resetState()
        var rc = try RangeDecoder(input, at: 13)
        let marker = try decoder.decode(&rc, limit: limit, endMarker: !known)
        if known {
            // A known size may still be followed by an end marker, so the code need not be zero here.
            guard decoder.written == limit else { throw .sizeMismatch }
        } else {
            // The encoder's flush after the end marker leaves the code at zero.
            guard marker, rc.isFinished else { throw .checksum }
        }
        return decoder.written
    }
}
