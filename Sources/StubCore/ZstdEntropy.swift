// The entropy coders of Zstandard (RFC 8878 §4): finite state entropy tables and their normalized-count headers,
// and the Huffman prefix codes of the literals (both read from `BackwardBits` streams). Heap-free: tables are
// written through pointers into the caller's workspace, scratch state is in InlineArrays on the stack.

/// Finite State Entropy tables (RFC 8878 §4.1). A decoding-table entry is `symbol | bits << 8 | baseline << 16`.
enum ZstdFSE {
    /// Reads an FSE table description (§4.1.1) into `counts` (which must be zero on entry); returns the number of
    /// symbols described, the accuracy log and the bytes the description takes.
    static func readCounts(_ source: UnsafeRawBufferPointer, _ counts: inout InlineArray<256, Int16>, maxLog: Int,
                           maxSymbol: Int) throws(DecodeError) -> (symbols: Int, log: Int, used: Int)
    {
        var bits = ZstdForwardBits(source)
        let log = try bits.read(4) + 5
        guard log <= maxLog else { throw .badHeader }
        var remaining = (1 << log) + 1, threshold = 1 << log, width = log + 1
        var symbol = 0
        while remaining > 1 {
            guard symbol <= maxSymbol else { throw .badHeader }
            let largest = 2 * threshold - 1 - remaining
            let value = bits.peek(width)
            var count: Int
            if value & (threshold - 1) < largest {
                count = value & (threshold - 1)
                try bits.consume(width - 1)
            } else {
                count = value & (2 * threshold - 1)
                if count >= threshold { count -= largest }
                try bits.consume(width)
            }
            count -= 1  // −1: "less than 1", one cell at the end of the table
            remaining -= count < 0 ? 1 : count
            guard remaining >= 1 else { throw .badHeader }
            counts[symbol] = Int16(count)
            symbol += 1
            if count == 0 {  // 2-bit repeat flags of further zero-probability symbols
                while true {
                    let repeats = try bits.read(2)
                    symbol += repeats
                    guard symbol <= maxSymbol + 1 else { throw .badHeader }
                    if repeats != 3 { break }
                }
            }
            while remaining < threshold {
                width -= 1
                threshold >>= 1
            }
        }
        return (symbol, log, (bits.position + 7) / 8)
    }

    /// Builds the decoding table of 2^log entries for normalized `counts[0 ..< symbols]` (which must sum to 2^log,
    /// counting −1 as 1, as `readCounts` and the predefined distributions guarantee): `symbol | bits << 8 |
    /// baseline << 16`. `cells`: 2^log bytes of scratch.
    static func build(_ table: UnsafeMutablePointer<UInt32>, _ counts: inout InlineArray<256, Int16>, _ symbols: Int,
                      _ log: Int, cells: UnsafeMutablePointer<UInt8>) throws(DecodeError)
    {
        var next = try spread(cells, &counts, symbols, log)
        for u in 0..<1 << log {
            let s = Int(cells[u])
            let (bits, baseline) = try state(&next, s, log)
            table[u] = UInt32(s) | UInt32(bits) << 8 | UInt32(baseline) << 16
        }
    }

    /// Spreads the symbols over `cells` (§4.1.1): symbols of probability "less than 1" at the end, the others
    /// stepping through the rest. Returns each symbol's first state number (its count).
    static func spread(_ cells: UnsafeMutablePointer<UInt8>, _ counts: inout InlineArray<256, Int16>, _ symbols: Int,
                       _ log: Int) throws(DecodeError) -> InlineArray<256, UInt16>
    {
        let size = 1 << log
        var high = size - 1
        var next = InlineArray<256, UInt16>(repeating: 0)
        for s in 0..<symbols {
            let count = Int(counts[s])
            if count == -1 {
                guard high >= 0 else { throw .badHeader }
                cells[high] = UInt8(s)
                high -= 1
                next[s] = 1
            } else if count > 0 {
                next[s] = UInt16(count)
            }
        }
        let step = (size >> 1) + (size >> 3) + 3, mask = size - 1
        var position = 0
        for s in 0..<symbols {
            let count = Int(counts[s])
            guard count > 0 else { continue }
            for _ in 0..<count {
                cells[position] = UInt8(s)
                repeat { position = (position + step) & mask } while position > high
            }
        }
        guard position == 0 else { throw .badHeader }
        return next
    }

    /// The bits and baseline of the next state of symbol `s` (§4.1.1: states of a symbol in increasing order).
    @inline(__always)
    static func state(_ next: inout InlineArray<256, UInt16>, _ s: Int, _ log: Int) throws(DecodeError)
        -> (bits: Int, baseline: Int)
    {
        let state = Int(next[s])
        next[s] &+= 1
        guard state > 0 else { throw .badHeader }
        let bits = log - (Int.bitWidth - 1 - state.leadingZeroBitCount)
        guard bits >= 0 else { throw .badHeader }
        return (bits, (state << bits) - (1 << log))
    }
}

/// Least-significant-bit-first reader of an FSE table description (not hot: a few dozen bits per table).
struct ZstdForwardBits {
    let source: UnsafeRawBufferPointer
    /// Bits read so far.
    var position = 0

    init(_ source: UnsafeRawBufferPointer) { self.source = source }

    /// The next `n` bits (up to 25), zeros past the end.
    func peek(_ n: Int) -> Int {
        let byte = position >> 3
        var value = 0
        for i in 0..<4 where byte + i < source.count { value |= Int(source[byte + i]) << (8 * i) }
        return value >> (position & 7) & ((1 << n) - 1)
    }

    mutating func consume(_ n: Int) throws(DecodeError) {
        guard n <= source.count * 8 - position else { throw .truncated }
        position += n
    }

    mutating func read(_ n: Int) throws(DecodeError) -> Int {
        let value = peek(n)
        try consume(n)
        return value
    }
}

/// Huffman-coded literals (RFC 8878 §4.2). A table entry is `symbol << 8 | bits`; the table has 2^maxBits entries.
enum ZstdHuffman {
    /// Reads a Huffman tree description (§4.2.1) and builds `table`; returns (maxBits, bytes used). `weightTable`:
    /// room for the weights' FSE table (64 entries) and 64 bytes after it; `scratch`: 8 bytes for a short stream.
    static func readTable(_ source: UnsafeRawBufferPointer, _ table: UnsafeMutablePointer<UInt16>,
                          _ weightTable: UnsafeMutablePointer<UInt32>, scratch: UnsafeMutableRawPointer)
        throws(DecodeError) -> (maxBits: Int, used: Int)
    {
        guard source.count >= 1 else { throw .truncated }
        let header = Int(source[0])
        var weights = InlineArray<256, UInt8>(repeating: 0)
        var n = 0
        var used: Int
        if header < 128 {  // weights compressed with FSE, two interleaved states
            guard header >= 1 else { throw .badHeader }
            guard header <= source.count - 1 else { throw .truncated }
            let compressed = UnsafeRawBufferPointer(rebasing: source[1..<1 + header])
            var counts = InlineArray<256, Int16>(repeating: 0)
            let description = try ZstdFSE.readCounts(compressed, &counts, maxLog: 6, maxSymbol: 255)
            try ZstdFSE.build(weightTable, &counts, description.symbols, description.log,
                              cells: UnsafeMutableRawPointer(weightTable + 64).assumingMemoryBound(to: UInt8.self))
            guard description.used < compressed.count else { throw .truncated }
            var bits = try BackwardBits(UnsafeRawBufferPointer(rebasing: compressed[description.used...]),
                                        scratch: scratch)
            // Two states take turns; the stream's end (read past) decides the count: then the other state's
            // symbol is the last weight.
            var states: InlineArray<2, Int> = [bits.read(description.log), bits.read(description.log)]
            var turn = 0
            while true {
                guard n < 254 else { throw .badHeader }
                let entry = weightTable[states[turn]]
                weights[n] = UInt8(truncatingIfNeeded: entry)
                n += 1
                bits.refill()
                states[turn] = Int(entry >> 16) + bits.read(Int(entry >> 8 & 0xFF))
                turn ^= 1
                if bits.remaining < 0 {
                    weights[n] = UInt8(truncatingIfNeeded: weightTable[states[turn]])
                    n += 1
                    break
                }
            }
            used = 1 + header
        } else {  // 4-bit weights, two per byte, high nibble first
            n = header - 127
            let bytes = (n + 1) / 2
            guard bytes <= source.count - 1 else { throw .truncated }
            for i in 0..<n {
                let byte = source[1 + i / 2]
                weights[i] = i & 1 == 0 ? byte >> 4 : byte & 15
            }
            used = 1 + bytes
        }
        // The last symbol's weight is implied: it completes the total to a power of two.
        var total = 0
        for i in 0..<n {
            let weight = Int(weights[i])
            guard weight <= 11 else { throw .badHeader }
            if weight > 0 { total += 1 << (weight - 1) }
        }
        guard total > 0 else { throw .badHeader }
        let maxBits = Int.bitWidth - total.leadingZeroBitCount
        guard maxBits <= 11 else { throw .badHeader }
        let rest = (1 << maxBits) - total
        guard rest & (rest - 1) == 0 else { throw .badHeader }
        weights[n] = UInt8(rest.trailingZeroBitCount + 1)
        let symbols = n + 1
        // Codes are laid out by increasing weight, then symbol: a weight-w symbol fills 2^(w-1) entries.
        var next = InlineArray<13, Int>(repeating: 0)
        for s in 0..<symbols { next[Int(weights[s])] += 1 }
        var start = 0
        for weight in 1...12 {
            let count = next[weight]
            next[weight] = start
            start += count << (weight - 1)
        }
        guard start == 1 << maxBits else { throw .badHeader }
        for s in 0..<symbols {
            let weight = Int(weights[s])
            guard weight > 0 else { continue }
            let entry = UInt16(s << 8 | (maxBits + 1 - weight))
            let first = next[weight], length = 1 << (weight - 1)
            for k in first..<first + length { table[k] = entry }
            next[weight] = first + length
        }
        return (maxBits, used)
    }

    /// Decodes `count` literals into `target` from `data`: one stream, or (`fourStreams`) a jump table of three
    /// 2-byte sizes and four streams of a quarter each (the last gets the rest). Streams must be consumed exactly.
    /// `scratch`: 32 bytes for short streams.
    static func decodeLiterals(_ data: UnsafeRawBufferPointer, fourStreams: Bool, _ table: UnsafePointer<UInt16>,
                               _ maxBits: Int, _ target: UnsafeMutablePointer<UInt8>, _ count: Int,
                               scratch: UnsafeMutableRawPointer) throws(DecodeError)
    {
        guard fourStreams else {
            var bits = try BackwardBits(data, scratch: scratch)
            try finish(&bits, table, maxBits, target, from: 0, to: count)
            return
        }
        guard data.count >= 6 else { throw .truncated }
        let size0 = Int(data[0]) | Int(data[1]) << 8, size1 = Int(data[2]) | Int(data[3]) << 8
        let size2 = Int(data[4]) | Int(data[5]) << 8
        guard size0 + size1 + size2 <= data.count - 6 else { throw .truncated }
        let segment = (count + 3) / 4, lastCount = count - 3 * segment
        guard lastCount >= 0 else { throw .badHeader }
        let start1 = 6 + size0, start2 = start1 + size1, start3 = start2 + size2
        func stream(_ from: Int, _ to: Int, _ slot: Int) throws(DecodeError) -> BackwardBits {
            try BackwardBits(UnsafeRawBufferPointer(rebasing: data[from..<to]), scratch: scratch + 8 * slot)
        }
        var s0 = try stream(6, start1, 0), s1 = try stream(start1, start2, 1)
        var s2 = try stream(start2, start3, 2), s3 = try stream(start3, data.count, 3)
        let t0 = target, t1 = target + segment, t2 = target + 2 * segment, t3 = target + 3 * segment
        #if STUB_FREESTANDING
        let k = 0  // the boot stub decodes each stream on its own: 1 KB smaller, and literals are a small part
        #else
        let k = bulk(&s0, &s1, &s2, &s3, table, maxBits, target, segment, lastCount)
        #endif
        try finish(&s0, table, maxBits, t0, from: k, to: segment)
        try finish(&s1, table, maxBits, t1, from: k, to: segment)
        try finish(&s2, table, maxBits, t2, from: k, to: segment)
        try finish(&s3, table, maxBits, t3, from: k, to: lastCount)
    }

    /// Symbols decoded between refills: a refill leaves at least 57 bits, a code takes at most 11.
    static let perRefill = 5

    /// The bulk of four streams, interleaved (independent work for the CPU) for as long as each stream has the
    /// bytes for `perRefill` more symbols (at most 7 bytes) before its container and each of the four outputs
    /// (`segment` apart) has room for them among its first `count`; returns the symbols decoded per stream. The
    /// container is kept left-aligned with a marker bit below its bits (as zstd's fast loop does), so that a stream
    /// is two registers: a refill finds how many bits were consumed from the marker's position. The marker
    /// overwrites the container's lowest bit, which the 55 bits read between refills never reach.
    @inline(__always)
    static func bulk(_ s0: inout BackwardBits, _ s1: inout BackwardBits, _ s2: inout BackwardBits,
                     _ s3: inout BackwardBits, _ table: UnsafePointer<UInt16>, _ maxBits: Int,
                     _ target: UnsafeMutablePointer<UInt8>, _ segment: Int, _ count: Int) -> Int
    {
        @inline(__always) func start(_ s: BackwardBits) -> (UnsafeRawPointer, UInt64) {
            let p = s.base + s.at
            return (p, (p.loadUnaligned(as: UInt64.self).littleEndian | 1) << UInt64(s.consumed))
        }
        @inline(__always) func refill(_ p: inout UnsafeRawPointer, _ c: inout UInt64) {
            let used = c.trailingZeroBitCount
            p -= used >> 3
            c = (p.loadUnaligned(as: UInt64.self).littleEndian | 1) << UInt64(used & 7)
        }
        @inline(__always) func symbol(_ c: inout UInt64) -> UInt8 {
            let entry = table[Int(truncatingIfNeeded: c &>> UInt64(truncatingIfNeeded: 64 - maxBits))]
            c &<<= UInt64(truncatingIfNeeded: entry & 0xFF)
            return UInt8(truncatingIfNeeded: entry >> 8)
        }
        @inline(__always) func end(_ s: inout BackwardBits, _ p: UnsafeRawPointer, _ c: UInt64) {
            s.at = p - s.base
            s.consumed = c.trailingZeroBitCount
            s.refill()  // `finish` expects a refilled stream
        }
        var (p0, c0) = start(s0), (p1, c1) = start(s1), (p2, c2) = start(s2), (p3, c3) = start(s3)
        var out = target
        // Rounds that are safe for every stream, counted again until too few are left.
        while true {
            let room = min(min(p0 - s0.base, p1 - s1.base), min(p2 - s2.base, p3 - s3.base))
            let rounds = min((target + count - out) / perRefill, room / 7)
            if rounds == 0 { break }
            for _ in 0..<rounds {
                for j in 0..<perRefill {
                    out[j] = symbol(&c0)
                    out[segment + j] = symbol(&c1)
                    out[2 * segment + j] = symbol(&c2)
                    out[3 * segment + j] = symbol(&c3)
                }
                refill(&p0, &c0); refill(&p1, &c1); refill(&p2, &c2); refill(&p3, &c3)
                out += perRefill
            }
        }
        end(&s0, p0, c0); end(&s1, p1, c1); end(&s2, p2, c2); end(&s3, p3, c3)
        return out - target
    }

    @inline(__always)
    static func symbol(_ bits: inout BackwardBits, _ table: UnsafePointer<UInt16>, _ shift: Int) -> UInt8 {
        let entry = table[Int(truncatingIfNeeded: bits.container &>> UInt64(truncatingIfNeeded: shift))]
        bits.container &<<= UInt64(truncatingIfNeeded: entry & 0xFF)
        bits.consumed &+= Int(entry & 0xFF)
        return UInt8(truncatingIfNeeded: entry >> 8)
    }

    /// Decodes the symbols `from ..< to` of one stream (refilled) into `target`; the stream must end exactly there.
    /// Not inlined: it runs once per stream, for the tail.
    @inline(never)
    static func finish(_ bits: inout BackwardBits, _ table: UnsafePointer<UInt16>, _ maxBits: Int,
                       _ target: UnsafeMutablePointer<UInt8>, from: Int, to end: Int) throws(DecodeError)
    {
        var k = from
        while k < end {
            for _ in 0..<min(perRefill, end - k) {
                target[k] = symbol(&bits, table, 64 - maxBits)
                k += 1
            }
            bits.refill()
        }
        guard bits.remaining == 0 else { throw .badHeader }
    }
}
