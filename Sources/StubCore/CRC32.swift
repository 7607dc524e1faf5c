/// CRC-32 as gzip and zlib compute it (reflected polynomial 0xEDB88320, inverted in and out).
public enum CRC32 {
    static let polynomial: UInt32 = 0xEDB8_8320

    /// Bytes of table `zlib(_:table:)` needs: eight 256-entry tables (slice-by-8).
    public static let tableSize = 8 * 256 * 4

    /// Bitwise and table-free, for the few bytes of a header check.
    public static func zlib(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? polynomial ^ (crc >> 1) : crc >> 1 }
        }
        return ~crc
    }

    /// The same CRC over a large buffer, with its table built in `table` (at least `tableSize` bytes, 4-byte
    /// aligned). Slice-by-8 alone waits on each word's lookups before the next word; four independent CRCs over
    /// the buffer's quarters overlap those waits, and are then joined (`shift`).
    public static func zlib(_ bytes: UnsafeRawBufferPointer, table: UnsafeMutableRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        let t = table.baseAddress!.bindMemory(to: UInt32.self, capacity: 8 * 256)
        buildTable(t)
        let quarter = bytes.count / 32 * 8
        var crcs = InlineArray<4, UInt32>(repeating: 0)
        crcs[0] = 0xFFFF_FFFF
        var at = 0
        while at < quarter {
            for k in 0..<4 { crcs[k] = word(t, crcs[k], base, at &+ k &* quarter) }
            at &+= 8
        }
        // The last quarter goes on past 4 * quarter: its tail is shorter than 32 bytes.
        var last = crcs[3]
        at = 4 * quarter
        while bytes.count - at >= 8 {
            last = word(t, last, base, at)
            at += 8
        }
        while at < bytes.count {
            last = (last >> 8) ^ t[Int((last ^ UInt32(base.load(fromByteOffset: at, as: UInt8.self))) & 0xFF)]
            at += 1
        }
        let joined = shift(shift(shift(crcs[0], by: quarter) ^ crcs[1], by: quarter) ^ crcs[2],
                           by: bytes.count - 3 * quarter)
        return ~(joined ^ last)
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
        let w = base.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian ^ UInt64(crc)
        @inline(__always) func lookup(_ k: Int, _ shift: UInt64) -> UInt32 {
            t[k &* 256 &+ Int(truncatingIfNeeded: (w &>> shift) & 0xFF)]
        }
        // Pairwise, so the XORs do not form one long chain.
        return ((lookup(7, 0) ^ lookup(6, 8)) ^ (lookup(5, 16) ^ lookup(4, 24)))
            ^ ((lookup(3, 32) ^ lookup(2, 40)) ^ (lookup(1, 48) ^ lookup(0, 56)))
    }

    /// The register `crc` would hold after `count` more zero bytes: the register is linear in its start value, so
    /// CRC(a ++ b) = shift(CRC(a), |b|) ^ CRC-from-zero(b). That is crc * x^(8 count) modulo the polynomial.
    static func shift(_ crc: UInt32, by count: Int) -> UInt32 {
        // x^(8 count) by squaring: `power` runs through x^8, x^16, x^32, ... (bit 31 is x^0 in this reflected form).
        var result: UInt32 = 1 << 31, power: UInt32 = 1 << 23, n = count
        while n > 0 {
            if n & 1 != 0 { result = multiply(result, power) }
            power = multiply(power, power)
            n >>= 1
        }
        return multiply(crc, result)
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
}
