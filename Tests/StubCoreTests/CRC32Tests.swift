import StubCore
import Testing
import TestSupport

/// The one CRC-32: the bzImage variant and the table-driven pieces the xz decoder uses, against the bitwise zlib
/// CRC (InflateTests checks the fast whole-buffer path).
@Suite struct CRC32Tests {
    static func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

    @Test func theBzImageVariantIsTheUninvertedRegister() {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.bzImage($0) } == ~0xCBF4_3926)
        var generator = SeededGenerator(seed: 11)
        // Zero runs of whole 64 KiB chunks take the fast path, as a bzImage's bss-like stretches do.
        var bytes = (0..<(3 * 65536 + 777)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for zero in 65536..<(2 * 65536 + 5) { bytes[zero] = 0 }
        for count in [0, 1, 4096, 65536, 2 * 65536 + 3, bytes.count] {
            let slice = Array(bytes.prefix(count))
            let crc = slice.withUnsafeBytes { CRC32.bzImage($0) }
            #expect(crc == ~slice.withUnsafeBytes { CRC32.zlib($0) }, "\(count) bytes")
            // Continued over a split, and 0 over the data with its trailer (what tools/build relies on).
            let split = count / 3
            let first = slice.prefix(split).withUnsafeBytes { CRC32.bzImage($0) }
            #expect(slice.dropFirst(split).withUnsafeBytes { CRC32.bzImage($0, seed: first) } == crc, "\(count) bytes")
            #expect((slice + Self.le32(crc)).withUnsafeBytes { CRC32.bzImage($0) } == 0, "\(count) bytes")
        }
    }

    @Test func tablePiecesMatchTheBitwiseCRC() {
        var memory = [UInt32](repeating: 0, count: CRC32.tableSize / 4)
        var generator = SeededGenerator(seed: 12)
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        memory.withUnsafeMutableBytes { memory in
            let table = CRC32.Table(building: memory)
            bytes.withUnsafeBytes { raw in
                for (from, to) in [(0, 1), (6, 8), (10, 300), (299, 300)] {
                    let expected = CRC32.zlib(UnsafeRawBufferPointer(rebasing: raw[from..<to]))
                    #expect(table.checksum(raw, from, to) == expected, "\(from)..<\(to)")
                }
                #expect(table.checksum(raw, 5, 5) == 0 && table.checksum(raw, 290, 301) == 0)  // empty, outside
                #expect(~table.update(0xFFFF_FFFF, raw) == CRC32.zlib(raw))
                // A 64-bit value folds in as its eight little-endian bytes.
                let value = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                let eight = UnsafeRawBufferPointer(rebasing: raw[0..<16])
                let folded = table.update(table.update(0xFFFF_FFFF, UnsafeRawBufferPointer(rebasing: eight[0..<8])),
                                          littleEndian: UInt64(littleEndian: value))
                #expect(~folded == CRC32.zlib(eight))
            }
        }
    }
}
