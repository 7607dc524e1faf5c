import StubCore

/// The bzImage trailer's CRC-32 under its old name, for the image writer until it calls StubCore's
/// `CRC32.bzImage` (the one CRC-32 implementation) itself.
public enum BzImageCRC32 {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0xFFFF_FFFF) -> UInt32 {
        CRC32.bzImage(bytes, seed: seed)
    }
}
