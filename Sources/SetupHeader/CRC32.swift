/// The bzImage trailer's CRC-32 (tools/build): reflected polynomial 0xEDB88320, initial value 0xFFFFFFFF and
/// **no** final inversion (so it equals `~zlib.crc32`). A whole-file CRC including the trailer is 0.
public enum BzImageCRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0xFFFF_FFFF) -> UInt32 {
        var crc = seed
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc
    }
}
