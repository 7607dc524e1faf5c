/// Reads a zstd bitstream backwards (RFC 8878 §4.1.1 "Bitstream"): the last byte's highest set bit marks the end;
/// bits are taken from there towards the first byte. 8 bytes of the stream are loaded at a time; `consumed` counts
/// the bits taken from their top, and `container` holds them shifted left by that much, so the next bits are its
/// top bits. `refill` moves the 8 bytes down by whole bytes, never below the stream's first byte: memory is read
/// only inside the stream, whatever the bits say. Reads past the first byte yield garbage and drive `remaining`
/// negative, which callers check at the end of a stream (exactly 0 left) or where a stream's end is the signal
/// (Huffman weights). A read of n bits always yields a number below 2^n, so table indices built from reads stay
/// in their tables even for garbage.
struct BackwardBits {
    /// 8 or more readable bytes: the stream itself, or a copy of a short stream in 8 bytes of scratch.
    let base: UnsafeRawPointer
    /// Where the 8 loaded bytes start: in [0, bytes - 8].
    var at: Int
    /// The loaded bytes (little-endian) shifted left by `consumed`.
    var container: UInt64
    var consumed: Int

    /// `scratch`: 8 bytes where a stream shorter than 8 bytes is copied, zeros above it (counted as consumed).
    init(_ stream: UnsafeRawBufferPointer, scratch: UnsafeMutableRawPointer) throws(DecodeError) {
        guard stream.count > 0, let start = stream.baseAddress else { throw .truncated }
        let last = stream[stream.count - 1]
        guard last != 0 else { throw .badHeader }
        consumed = last.leadingZeroBitCount + 1
        if stream.count >= 8 {
            base = start
            at = stream.count - 8
        } else {
            scratch.storeBytes(of: 0, as: UInt64.self)
            scratch.copyMemory(from: start, byteCount: stream.count)
            base = UnsafeRawPointer(scratch)
            at = 0
            consumed += (8 - stream.count) * 8
        }
        container = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) << UInt64(consumed)
    }

    // Wrapping arithmetic, no overflow checks: `consumed` grows by some dozen bits per read and refill, `at` stays
    // in its range.

    /// Bits not yet read; negative once reads went past the stream's start.
    var remaining: Int { at &* 8 &+ 64 &- consumed }

    /// Moves the 8 loaded bytes down so that at most 7 bits of them are consumed, or to the stream's start.
    /// Afterwards at least 57 bits can be read, or all that are left.
    @inline(__always)
    mutating func refill() {
        let back = consumed >> 3
        if back <= at {
            at &-= back
            consumed &= 7
        } else {
            consumed &-= at &* 8
            at = 0
        }
        container = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            &<< UInt64(truncatingIfNeeded: consumed)
    }

    /// The next `n` bits (0...63) as a number; `n` must be available since the last refill to be meaningful.
    @inline(__always)
    mutating func read(_ n: Int) -> Int { read(n, inverse: 63 - n) }

    /// `read(n)` with `inverse` = 63 − n precomputed (the sequence tables hold both).
    @inline(__always)
    mutating func read(_ n: Int, inverse: Int) -> Int {
        let value = (container &>> 1) &>> UInt64(truncatingIfNeeded: inverse)
        container &<<= UInt64(truncatingIfNeeded: n)
        consumed &+= n
        return Int(truncatingIfNeeded: value)
    }
}
