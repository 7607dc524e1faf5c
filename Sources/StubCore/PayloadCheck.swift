/// The integrity check the stub runs before decoding: CRC-32 (the gzip/zlib polynomial, reflected 0xEDB88320,
/// inverted in and out) of the whole payload as stored in the image. LZ4 and lzop-without-checksums carry
/// nothing of their own, and a check before decoding also keeps a damaged stream from being decoded at all.
/// Slice-by-8 over a table the caller provides (`workspaceSize` bytes, built here), since the stub has no
/// writable data of its own to spare and this runs over every payload byte at boot.
public enum PayloadCheck {
    public static let workspaceSize = 8 * 256 * 4

    public static func crc32(_ bytes: UnsafeRawBufferPointer, workspace: UnsafeMutableRawBufferPointer) -> UInt32 {
        precondition(workspace.count >= workspaceSize)
        let table = workspace.baseAddress!.bindMemory(to: UInt32.self, capacity: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { table[k * 256 + i] = (table[(k - 1) * 256 + i] >> 8) ^ table[Int(table[(k - 1) * 256 + i] & 0xFF)] }
        }
        var crc: UInt32 = 0xFFFF_FFFF
        var at = 0
        let count = bytes.count
        guard let base = bytes.baseAddress else { return 0 }
        while count - at >= 8 {
            let word = base.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian ^ UInt64(crc)
            crc = table[7 * 256 + Int(word & 0xFF)] ^ table[6 * 256 + Int(word >> 8 & 0xFF)]
                ^ table[5 * 256 + Int(word >> 16 & 0xFF)] ^ table[4 * 256 + Int(word >> 24 & 0xFF)]
                ^ table[3 * 256 + Int(word >> 32 & 0xFF)] ^ table[2 * 256 + Int(word >> 40 & 0xFF)]
                ^ table[1 * 256 + Int(word >> 48 & 0xFF)] ^ table[Int(word >> 56)]
            at += 8
        }
        while at < count {
            crc = (crc >> 8) ^ table[Int((crc ^ UInt32(base.load(fromByteOffset: at, as: UInt8.self))) & 0xFF)]
            at += 1
        }
        return ~crc
    }
}

#if !STUB_FREESTANDING
extension PayloadCheck {
    /// The same CRC on the host, where the image writer records it.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var table = [UInt8](repeating: 0, count: workspaceSize)
        return bytes.withUnsafeBytes { input in table.withUnsafeMutableBytes { crc32(input, workspace: $0) } }
    }
}
#endif
