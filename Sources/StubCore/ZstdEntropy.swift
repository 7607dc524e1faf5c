// The entropy coders of Zstandard (RFC 8878 §4): finite state entropy tables and their normalized-count headers,
// the Huffman prefix codes of the literals, and the backward bitstream both are read from. Heap-free: tables
// are written through pointers into the caller's workspace, scratch state is in InlineArrays on the stack.

/// Reads a bitstream backwards (RFC 8878 §4.1.1 "Bitstream"): the last byte's highest set bit marks the end; bits
/// are taken from there towards the first byte. Reads past the first byte yield zeros and drive `position`
/// negative, which callers check (`position == 0` means exactly consumed).
struct BackwardBits {
    let base: UnsafeRawPointer
    let count: Int
    /// Bits not yet read: those in [0, position) of the little-endian number the bytes form.
    var position: Int

    init(_ region: UnsafeRawBufferPointer) throws(DecodeError) {
        guard region.count > 0, let base = region.baseAddress else { throw .truncated }
        let last = region[region.count - 1]
        guard last != 0 else { throw .badHeader }
        self.base = base
        count = region.count
        position = (region.count - 1) * 8 + (7 - last.leadingZeroBitCount)
    }

    /// Up to 8 bytes from `byte` (which is in [0, count)), little-endian; zeros past the end.
    @inline(__always)
    func load(_ byte: Int) -> UInt64 {
        if byte <= count - 8 { return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) }
        var value: UInt64 = 0
        var i = 0
        while byte + i < count {
            value |= UInt64(base.load(fromByteOffset: byte + i, as: UInt8.self)) << UInt64(8 * i)
            i += 1
        }
        return value
    }

    /// The next `n` bits (1...56) without consuming them.
    @inline(__always)
    func peek(_ n: Int) -> UInt64 {
        let start = position - n
        if start >= 0 { return (load(start >> 3) >> UInt64(start & 7)) & ((1 << UInt64(n)) - 1) }
        if position <= 0 { return 0 }
        return (load(0) & ((1 << UInt64(position)) - 1)) << UInt64(-start)
    }

    @inline(__always)
    mutating func read(_ n: Int) -> Int {
        guard n > 0 else { return 0 }
        let value = peek(n)
        position -= n
        return Int(value)
    }
}

/// Finite State Entropy tables (RFC 8878 §4.1). A decoding-table entry is `symbol | bits << 8 | baseline << 16`.
enum ZstdFSE {
    /// Reads an FSE table description (§4.1.1) into `counts` (which must be zero on entry); returns the number of
    /// symbols described, the accuracy log and the bytes the description takes.
    static func readCounts(_ source: UnsafeRawBufferPointer, _ counts: inout InlineArray<256, Int16>, maxLog: Int,
                           maxSymbol: Int) throws(DecodeError) -> (symbols: Int, log: Int, used: Int)
    {
        var bits = BitReader(source)
        let log = Int(try bits.read(4)) + 5
        guard log <= maxLog else { throw .badHeader }
        var remaining = (1 << log) + 1, threshold = 1 << log, width = log + 1
        var symbol = 0
        while remaining > 1 {
            guard symbol <= maxSymbol else { throw .badHeader }
            let largest = 2 * threshold - 1 - remaining
            let value = Int(bits.peek(width))
            var count: Int
            if value & (threshold - 1) < largest {
                count = value & (threshold - 1)
                guard bits.available >= width - 1 else { throw .truncated }
                bits.consume(width - 1)
            } else {
                count = value & (2 * threshold - 1)
                if count >= threshold { count -= largest }
                guard bits.available >= width else { throw .truncated }
                bits.consume(width)
            }
            count -= 1  // −1: "less than 1", one cell at the end of the table
            remaining -= count < 0 ? 1 : count
            guard remaining >= 1 else { throw .badHeader }
            counts[symbol] = Int16(count)
            symbol += 1
            if count == 0 {  // 2-bit repeat flags of further zero-probability symbols
                while true {
                    let repeats = Int(try bits.read(2))
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
        let consumed = bits.position * 8 - bits.available
        return (symbol, log, (consumed + 7) / 8)
    }

    /// Builds the decoding table of 2^log entries for normalized `counts[0 ..< symbols]` (which must sum to 2^log,
    /// counting −1 as 1, as `readCounts` and the predefined distributions guarantee).
    static func build(_ table: UnsafeMutablePointer<UInt32>, _ counts: inout InlineArray<256, Int16>, _ symbols: Int,
                      _ log: Int) throws(DecodeError)
    {
        let size = 1 << log
        var high = size - 1
        var next = InlineArray<256, UInt16>(repeating: 0)
        for s in 0..<symbols {
            let count = Int(counts[s])
            if count == -1 {
                guard high >= 0 else { throw .badHeader }
                table[high] = UInt32(s)
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
                table[position] = UInt32(s)
                repeat { position = (position + step) & mask } while position > high
            }
        }
        guard position == 0 else { throw .badHeader }
        for u in 0..<size {
            let s = Int(table[u] & 0xFF)
            let state = Int(next[s])
            next[s] &+= 1
            guard state > 0 else { throw .badHeader }
            let width = log - (Int.bitWidth - 1 - state.leadingZeroBitCount)
            guard width >= 0 else { throw .badHeader }
            let baseline = (state << width) - size
            table[u] = UInt32(s) | UInt32(width) << 8 | UInt32(truncatingIfNeeded: baseline) << 16
        }
    }
}

/// Huffman-coded literals (RFC 8878 §4.2). A table entry is `symbol << 8 | bits`; the table has 2^maxBits entries.
enum ZstdHuffman {
    /// Reads a Huffman tree description (§4.2.1) and builds `table`; returns (maxBits, bytes used).
    static func readTable(_ source: UnsafeRawBufferPointer, _ table: UnsafeMutablePointer<UInt16>,
                          _ weightTable: UnsafeMutablePointer<UInt32>) throws(DecodeError) -> (maxBits: Int, used: Int)
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
            try ZstdFSE.build(weightTable, &counts, description.symbols, description.log)
            guard description.used < compressed.count else { throw .truncated }
            var bits = try BackwardBits(UnsafeRawBufferPointer(rebasing: compressed[description.used...]))
            var first = bits.read(description.log), second = bits.read(description.log)
            while true {
                guard n < 255 else { throw .badHeader }
                var entry = weightTable[first]
                weights[n] = UInt8(truncatingIfNeeded: entry)
                n += 1
                first = Int(entry >> 16) + bits.read(Int(entry >> 8 & 0xFF))
                if bits.position < 0 {
                    guard n < 255 else { throw .badHeader }
                    weights[n] = UInt8(truncatingIfNeeded: weightTable[second])
                    n += 1
                    break
                }
                guard n < 255 else { throw .badHeader }
                entry = weightTable[second]
                weights[n] = UInt8(truncatingIfNeeded: entry)
                n += 1
                second = Int(entry >> 16) + bits.read(Int(entry >> 8 & 0xFF))
                if bits.position < 0 {
                    guard n < 255 else { throw .badHeader }
                    weights[n] = UInt8(truncatingIfNeeded: weightTable[first])
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

    /// Decodes `count` literals from one backward stream into `target`; the stream must be consumed exactly.
    static func decodeStream(_ stream: UnsafeRawBufferPointer, _ table: UnsafeMutablePointer<UInt16>, _ maxBits: Int,
                             _ target: UnsafeMutablePointer<UInt8>, _ count: Int) throws(DecodeError)
    {
        var bits = try BackwardBits(stream)
        var k = 0
        while k < count {
            let entry = table[Int(bits.peek(maxBits))]
            target[k] = UInt8(truncatingIfNeeded: entry >> 8)
            bits.position -= Int(entry & 0xFF)
            k += 1
        }
        guard bits.position == 0 else { throw .badHeader }
    }
}
