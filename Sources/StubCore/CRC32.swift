/// CRC-32 as gzip, zlib and xz compute it (reflected polynomial 0xEDB88320, inverted in and out), and the
/// bzImage trailer's variant of it (no final inversion, `bzImage(_:seed:)`): the one implementation for the stub's
/// decoders and the host.
public enum CRC32 {
    static let polynomial: UInt32 = 0xEDB8_8320

    /// Bytes of table `zlib(_:table:)` needs: eight 256-entry tables (slice-by-8).
    public static let tableSize = 8 * 256 * 4

    /// Bitwise and table-free: slow, but needs no workspace.
    public static func zlib(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? polynomial ^ (crc >> 1) : crc >> 1 }
        }
        return ~crc
    }

    /// Bytes the fast CRC takes at a time: four streams of a quarter each.
    static let chunkSize = 64 * 1024

    /// The same CRC over a large buffer, with its table built in `table` (at least `tableSize` bytes, 4-byte
    /// aligned).
    public static func zlib(_ bytes: UnsafeRawBufferPointer, table: UnsafeMutableRawBufferPointer) -> UInt32 {
        guard bytes.baseAddress != nil else { return 0 }
        // As `Table(building:).update`, spelled out: the gzip stub's code stays as it was.
        let t = table.baseAddress!.bindMemory(to: UInt32.self, capacity: 8 * 256)
        buildTable(t)
        return ~update(t, 0xFFFF_FFFF, bytes)
    }

    /// The register after `bytes`, from `crc` (neither inverted). In chunks of `chunkSize`: a chunk of zeros
    /// (kernel images hold megabytes of them) only multiplies the register (`zeroShift`, deferred over a run of
    /// them); any other goes through `chunk`.
    @inline(__always)
    static func update(_ t: UnsafePointer<UInt32>, _ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        let quarterShift = zeroShift(chunkSize / 4)
        var crc = crc, zeros = 0, at = 0
        while at < bytes.count {
            let count = min(chunkSize, bytes.count - at)
            if allZero(base + at, count) {
                zeros += count
            } else {
                if zeros > 0 { crc = multiply(crc, zeroShift(zeros)) }
                zeros = 0
                crc = count == chunkSize ? chunk(t, crc, base + at, quarterShift) : serial(t, crc, base + at, count)
            }
            at += count
        }
        return zeros > 0 ? multiply(crc, zeroShift(zeros)) : crc
    }

    /// The register after a whole chunk. Slice-by-8 alone waits on each word's lookups before the next word;
    /// four independent CRCs over the chunk's quarters overlap those waits, and are then joined: the register is
    /// linear in its start value, so CRC(a ++ b) = CRC(a) * x^(8 |b|) ^ CRC-from-zero(b).
    static func chunk(_ t: UnsafePointer<UInt32>, _ crc: UInt32, _ base: UnsafeRawPointer, _ quarterShift: UInt32)
        -> UInt32
    {
        let quarter = chunkSize / 4
        var crcs = InlineArray<4, UInt32>(repeating: 0)
        crcs[0] = crc
        var at = 0
        while at < quarter {
            for k in 0..<4 { crcs[k] = word(t, crcs[k], base, at &+ k &* quarter) }
            at &+= 8
        }
        return multiply(multiply(multiply(crcs[0], quarterShift) ^ crcs[1], quarterShift) ^ crcs[2], quarterShift)
            ^ crcs[3]
    }

    /// The register after `count` bytes, one word at a time.
    static func serial(_ t: UnsafePointer<UInt32>, _ crc: UInt32, _ base: UnsafeRawPointer, _ count: Int) -> UInt32 {
        var crc = crc, at = 0
        while count - at >= 8 {
            crc = word(t, crc, base, at)
            at += 8
        }
        while at < count {
            crc = (crc >> 8) ^ t[Int((crc ^ UInt32(base.load(fromByteOffset: at, as: UInt8.self))) & 0xFF)]
            at += 1
        }
        return crc
    }

    /// Whether `count` bytes are all zero; stops at the first that is not.
    static func allZero(_ base: UnsafeRawPointer, _ count: Int) -> Bool {
        var at = 0
        while count - at >= 32 {
            let p = base + at
            let any = p.loadUnaligned(as: UInt64.self) | (p + 8).loadUnaligned(as: UInt64.self)
                | (p + 16).loadUnaligned(as: UInt64.self) | (p + 24).loadUnaligned(as: UInt64.self)
            guard any == 0 else { return false }
            at += 32
        }
        while at < count {
            guard base.load(fromByteOffset: at, as: UInt8.self) == 0 else { return false }
            at += 1
        }
        return true
    }

    /// Table k maps a byte to its CRC followed by k zero bytes.
    static func buildTable(_ t: UnsafeMutablePointer<UInt32>) {
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? polynomial ^ (c >> 1) : c >> 1 }
            t[i] = c
        }
        for i in 256..<8 * 256 { t[i] = (t[i - 256] >> 8) ^ t[Int(t[i - 256] & 0xFF)] }
    }

    /// The raw CRC register after eight more bytes.
    @inline(__always)
    static func word(_ t: UnsafePointer<UInt32>, _ crc: UInt32, _ base: UnsafeRawPointer, _ at: Int) -> UInt32 {
        word(t, crc, base.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian)
    }

    /// The raw CRC register after the eight bytes of `value`, least significant first.
    @inline(__always)
    static func word(_ t: UnsafePointer<UInt32>, _ crc: UInt32, _ value: UInt64) -> UInt32 {
        let w = value ^ UInt64(crc)
        // In 16-bit pieces: fewer shifts to reach each byte.
        let b0 = UInt32(truncatingIfNeeded: w), b2 = b0 &>> 16
        let b4 = UInt32(truncatingIfNeeded: w &>> 32), b6 = b4 &>> 16
        @inline(__always) func lookup(_ k: Int, _ byte: UInt32) -> UInt32 { t[k &* 256 &+ Int(byte & 0xFF)] }
        // Pairwise, so the XORs do not form one long chain.
        return ((lookup(7, b0) ^ lookup(6, b0 &>> 8)) ^ (lookup(5, b2) ^ lookup(4, b2 &>> 8)))
            ^ ((lookup(3, b4) ^ lookup(2, b4 &>> 8)) ^ (lookup(1, b6) ^ lookup(0, b6 &>> 8)))
    }

    /// What the register is multiplied by over `count` zero bytes: x^(8 count) modulo the polynomial, by
    /// squaring (`power` runs through x^8, x^16, x^32, ...; bit 31 is x^0 in this reflected form).
    static func zeroShift(_ count: Int) -> UInt32 {
        var result: UInt32 = 1 << 31, power: UInt32 = 1 << 23, n = count
        while n > 0 {
            if n & 1 != 0 { result = multiply(result, power) }
            power = multiply(power, power)
            n >>= 1
        }
        return result
    }

    /// a * b modulo the polynomial, both in the reflected form (bit 31 the x^0 coefficient).
    static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var product: UInt32 = 0, b = b, bit: UInt32 = 1 << 31
        while bit != 0 {
            if a & bit != 0 { product ^= b }
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1  // b * x
            bit >>= 1
        }
        return product
    }

    /// The slice-by-8 tables, built once in caller memory (`tableSize` bytes, 4-byte aligned): table k maps a
    /// byte to its CRC followed by k zero bytes, so the first 256 entries are the byte-at-a-time table.
    public struct Table {
        let t: UnsafeMutablePointer<UInt32>

        @inline(__always)
        public init(building memory: UnsafeMutableRawBufferPointer) {
            t = memory.baseAddress!.bindMemory(to: UInt32.self, capacity: 8 * 256)
            buildTable(t)
        }

        /// The register after `bytes`, from `crc` (neither inverted).
        @inline(__always)
        public func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
            CRC32.update(t, crc, bytes)
        }

        /// The CRC-32 of `bytes[from ..< to]`, a byte at a time (for a few header bytes); 0 for a range outside
        /// `bytes`.
        public func checksum(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> UInt32 {
            guard from >= 0, from < to, to <= bytes.count, let base = bytes.baseAddress else { return 0 }
            return ~serial(t, 0xFFFF_FFFF, base + from, to - from)
        }

        /// Folds a 64-bit value (its 8 little-endian bytes) into a running, not-yet-inverted register.
        public func update(_ crc: UInt32, littleEndian value: UInt64) -> UInt32 {
            word(t, crc, value)
        }
    }
}

#if !STUB_FREESTANDING
extension CRC32 {
    /// The bzImage trailer's CRC-32 (the kernel's tools/build): the same register from 0xFFFFFFFF, but **no**
    /// final inversion (so it equals `~zlib`), and a whole image including its trailer checks to 0. `seed`
    /// continues a CRC over more bytes. Host only: its table is allocated.
    public static func bzImage(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0xFFFF_FFFF) -> UInt32 {
        withUnsafeTemporaryAllocation(byteCount: tableSize, alignment: 4) { Table(building: $0).update(seed, bytes) }
    }
}
#endif
