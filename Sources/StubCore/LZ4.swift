/// LZ4 as the kernel's payload carries it: the legacy frame (magic 0x184C2102, then blocks of a little-endian
/// compressed size and an LZ4 block, every block but the last decoding to exactly 8 MiB). Heap-free and
/// bounds-checked by explicit guards, so the same code is safe in the freestanding stub (where unsafe-pointer
/// subscripts are not checked) and on the host.
public enum LZ4 {
    public static let legacyMagic: UInt32 = 0x184C_2102
    public static let legacyBlockSize = 8 << 20

    /// Decodes a whole legacy frame into `output`; returns the bytes written.
    public static func decodeLegacyFrame(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        throws(DecodeError) -> Int
    {
        guard input.count >= 4 else { throw .truncated }
        guard readLE32(input, 0) == legacyMagic else { throw .badHeader }
        var at = 4, written = 0
        while at < input.count {
            guard input.count - at >= 4 else { throw .truncated }
            let length = Int(readLE32(input, at))
            at += 4
            guard length <= input.count - at else { throw .truncated }
            let room = min(legacyBlockSize, output.count - written)
            let block = UnsafeRawBufferPointer(rebasing: input[at..<at + length])
            let target = UnsafeMutableRawBufferPointer(rebasing: output[written..<written + room])
            let produced = try decodeBlock(block, into: target)
            // Every block but the last must fill its 8 MiB: the boot decoder assumes it.
            if at + length < input.count && produced != legacyBlockSize { throw .sizeMismatch }
            written += produced
            at += length
        }
        return written
    }

    /// Bytes a fast-path copy may write past its end (and read past its source's end): copies go 8 or 16 bytes at
    /// a time, so only where this much room is left in both buffers; the exact path finishes the block's tail.
    static let overshoot = 32

    /// Decodes one LZ4 block; returns the bytes written. Sequences are `token, [literal length], literals,
    /// offset, [match length]`; the last has literals only.
    public static func decodeBlock(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer)
        throws(DecodeError) -> Int
    {
        guard let src = input.baseAddress, input.count > 0 else { return 0 }
        guard let dst = output.baseAddress else { throw .outputOverflow }
        let inputEnd = input.count, outputEnd = output.count
        var i = 0, o = 0
        while true {
            // Writes reach up to `overshoot` past o until the next report, which counts them (in place they must
            // stay behind the read position too).
            reportProgress(input, i, output, o &+ overshoot)
            guard i < inputEnd else { throw .truncated }
            let token = Int(src.load(fromByteOffset: i, as: UInt8.self))
            i &+= 1
            var literals = token &>> 4
            // The common sequence, far from both ends: at most 14 literals and an 18-byte match, copied with fixed
            // 16- and 24-byte moves (no loops). A match follows for sure: the block cannot end this close.
            let short = literals != 15 && inputEnd &- i >= overshoot && outputEnd &- o >= 2 &* overshoot
            if short {
                copy16(dst + o, src + i)
            } else {
                if literals == 15 { literals &+= try readLength(src, inputEnd, &i) }
                guard literals <= inputEnd &- i else { throw .truncated }
                guard literals <= outputEnd &- o else { throw .outputOverflow }
                if literals <= inputEnd &- i &- overshoot && literals <= outputEnd &- o &- overshoot {
                    wildCopy(dst + o, src + i, literals)
                } else {
                    (dst + o).copyMemory(from: src + i, byteCount: literals)
                }
            }
            i &+= literals
            o &+= literals
            if i == inputEnd { return o }  // the last sequence has literals only
            guard inputEnd &- i >= 2 else { throw .truncated }
            let offset = Int(src.load(fromByteOffset: i, as: UInt8.self))
                | Int(src.load(fromByteOffset: i &+ 1, as: UInt8.self)) &<< 8
            i &+= 2
            guard offset > 0, offset <= o else { throw .badOffset }
            var length = (token & 15) &+ 4
            if short && length != 19 && offset >= 8 {
                copy24(dst + o, dst + (o &- offset))
                o &+= length
                continue
            }
            if length == 19 { length &+= try readLength(src, inputEnd, &i) }
            guard length <= outputEnd &- o else { throw .outputOverflow }
            wildCopyMatch(dst, from: o &- offset, to: o, count: length, room: outputEnd &- o)
            o &+= length
        }
    }

    /// LZ4's extended length: bytes of 255 continue it.
    @inline(__always)
    static func readLength(_ src: UnsafeRawPointer, _ end: Int, _ i: inout Int) throws(DecodeError) -> Int {
        var total = 0
        while true {
            guard i < end else { throw .truncated }
            let byte = Int(src.load(fromByteOffset: i, as: UInt8.self))
            i &+= 1
            total &+= byte  // at most 255 per input byte: no overflow before the input ends
            if byte != 255 { return total }
        }
    }

    /// Copies `count` bytes 16 at a time, writing and reading up to 15 bytes past the end; the regions must not
    /// overlap closer than 16 bytes.
    @inline(__always)
    static func wildCopy(_ target: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) {
        var k = 0
        repeat {
            copy16(target + k, source + k)
            k &+= 16
        } while k < count
    }

    /// Copies `count` bytes 8 at a time (up to 7 past the end), for a source 8 or more bytes below the target.
    @inline(__always)
    static func wildCopy8(_ target: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) {
        var k = 0
        repeat {
            copy8(target + k, source + k)
            k &+= 8
        } while k < count
    }

    @inline(__always)
    static func copy8(_ target: UnsafeMutableRawPointer, _ source: UnsafeRawPointer) {
        target.storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
    }

    /// Both words are read before either is written.
    @inline(__always)
    static func copy16(_ target: UnsafeMutableRawPointer, _ source: UnsafeRawPointer) {
        let a = source.loadUnaligned(as: UInt64.self), b = source.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        target.storeBytes(of: a, as: UInt64.self)
        target.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
    }

    /// A match of up to 24 bytes from 8 or more bytes back: word by word, each read after the previous write.
    @inline(__always)
    static func copy24(_ target: UnsafeMutableRawPointer, _ source: UnsafeRawPointer) {
        copy8(target, source)
        copy8(target + 8, source + 8)
        copy8(target + 16, source + 16)
    }

    /// Copies a match forward byte by byte when it overlaps its source (offset < length repeats the pattern).
    @inline(__always)
    static func copyMatch(_ base: UnsafeMutableRawPointer, from source: Int, to target: Int, count: Int) {
        if target - source >= count {
            (base + target).copyMemory(from: base + source, byteCount: count)
        } else {
            var k = 0
            while k < count {
                (base + target + k).storeBytes(of: (base + source + k).load(as: UInt8.self), as: UInt8.self)
                k += 1
            }
        }
    }

    /// Copies a match forward from `source` to `target` in `base`, a word at a time where `room` (bytes of output
    /// left from `target`) allows writing up to `overshoot` past it; a source closer than the length repeats its
    /// pattern.
    @inline(__always)
    static func wildCopyMatch(_ base: UnsafeMutableRawPointer, from source: Int, to target: Int, count: Int, room: Int) {
        let distance = target &- source
        if count > room &- overshoot {
            // Near the output's end (a long run may reach it): words while they fit, the rest byte by byte.
            let head = max(0, room &- overshoot)
            if head > 0 { wildCopyMatch(base, from: source, to: target, count: head, room: room) }
            copyMatchExactly(base, from: source &+ head, to: target &+ head, count: count &- head)
        } else if distance >= 16 {
            wildCopy(base + target, base + source, count)
        } else if distance >= 8 {
            wildCopy8(base + target, base + source, count)
        } else {
            copyShortPeriod(base + target, distance: distance, count: count)
        }
    }

    /// Near the output's end: writing nothing past the match. Out of line, to keep the hot loop's registers.
    @inline(never)
    static func copyMatchExactly(_ base: UnsafeMutableRawPointer, from source: Int, to target: Int, count: Int) {
        copyMatch(base, from: source, to: target, count: count)
    }

    /// A match repeating a pattern of fewer than 8 bytes: its first 8 bytes one by one, then words from the nearest
    /// multiple of the period at least 8 bytes back, which holds the same bytes; past 16 bytes, 16 at a time from
    /// a multiple at least 16 back (long runs of zeros fill much of a kernel image).
    @inline(never)
    static func copyShortPeriod(_ target: UnsafeMutableRawPointer, distance: Int, count: Int) {
        let source = target - distance
        for k in 0..<8 { (target + k).storeBytes(of: (source + k).load(as: UInt8.self), as: UInt8.self) }
        guard count > 8 else { return }
        let period8 = (8 &+ distance &- 1) / distance &* distance
        copy8(target + 8, target + 8 - period8)
        guard count > 16 else { return }
        let period16 = (16 &+ distance &- 1) / distance &* distance
        wildCopy(target + 16, target + 16 - period16, count &- 16)
    }
}

@inline(__always)
func readLE32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
}
