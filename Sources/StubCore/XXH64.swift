/// XXH64 with seed 0, as zstd's content checksum uses it, fed incrementally: the decoder hashes each block's output
/// while it is still in the cache, in whole 32-byte stripes, and finishes with the tail once the frame ends.
struct XXH64 {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let p3: UInt64 = 0x1656_67B1_9E37_79F9, p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    var v1 = p1 &+ p2, v2 = p2, v3: UInt64 = 0, v4 = 0 &- p1
    /// Bytes absorbed so far, always a multiple of 32.
    private(set) var hashed = 0

    @inline(__always) static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 - r) }
    @inline(__always) static func round(_ acc: UInt64, _ lane: UInt64) -> UInt64 { rotl(acc &+ lane &* p2, 31) &* p1 }
    @inline(__always) static func merge(_ h: UInt64, _ v: UInt64) -> UInt64 { (h ^ round(0, v)) &* p1 &+ p4 }
    @inline(__always) static func lane(_ bytes: UnsafeRawPointer, _ at: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// Absorbs the whole stripes of `bytes[hashed ..< end]` (the same `bytes` every call, `end` never decreasing).
    /// Not inlined: the four lanes keep their registers.
    @inline(never)
    mutating func absorb(_ bytes: UnsafeRawPointer, upTo end: Int) {
        var a = v1, b = v2, c = v3, d = v4
        var stripe = bytes + hashed
        let stripes = max(end - hashed, 0) >> 5
        for _ in 0..<stripes {
            a = Self.round(a, Self.lane(stripe, 0))
            b = Self.round(b, Self.lane(stripe, 8))
            c = Self.round(c, Self.lane(stripe, 16))
            d = Self.round(d, Self.lane(stripe, 24))
            stripe += 32
        }
        v1 = a; v2 = b; v3 = c; v4 = d
        hashed += stripes << 5
    }

    /// The hash of `bytes[0 ..< count]`, absorbing what is left first.
    mutating func finish(_ bytes: UnsafeRawPointer?, count: Int) -> UInt64 {
        var h: UInt64
        if let bytes { absorb(bytes, upTo: count) }
        if count >= 32 {
            h = Self.rotl(v1, 1) &+ Self.rotl(v2, 7) &+ Self.rotl(v3, 12) &+ Self.rotl(v4, 18)
            h = Self.merge(Self.merge(Self.merge(Self.merge(h, v1), v2), v3), v4)
        } else {
            h = Self.p5
        }
        h = h &+ UInt64(count)
        var at = hashed
        if let bytes {
            while count - at >= 8 {
                h ^= Self.round(0, Self.lane(bytes, at))
                h = Self.rotl(h, 27) &* Self.p1 &+ Self.p4
                at += 8
            }
            if count - at >= 4 {
                let word = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                h ^= word &* Self.p1
                h = Self.rotl(h, 23) &* Self.p2 &+ Self.p3
                at += 4
            }
            while at < count {
                h ^= UInt64(bytes.load(fromByteOffset: at, as: UInt8.self)) &* Self.p5
                h = Self.rotl(h, 11) &* Self.p1
                at += 1
            }
        }
        h ^= h >> 33; h = h &* Self.p2; h ^= h >> 29; h = h &* Self.p3; h ^= h >> 32
        return h
    }
}

extension Zstd {
    /// XXH64 with seed 0 of `data`, in one go.
    public static func xxh64(_ data: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = XXH64()
        return hasher.finish(data.baseAddress, count: data.count)
    }
}
