/// The integrity check the stub runs before decoding: XXH64 (seed 0) of the whole payload as stored in the image,
/// recorded there by the image writer. LZ4 and lzop-without-checksums carry nothing of their own, and a check
/// before decoding also keeps a damaged stream from being decoded at all. XXH64 rather than CRC-32: it runs over
/// every payload byte at boot, under emulation too, and a 64-bit multiply-rotate per word costs a fraction of
/// slice-by-8's eight table loads (callgrind, Debian 6.1 lz4 payload: 68M instructions for CRC-32, ~10M here),
/// while missing a random corruption with odds of 2^-64.
public enum PayloadCheck {
    public static func digest(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = XXH64()
        return hasher.finish(bytes.baseAddress, count: bytes.count)
    }
}

#if !STUB_FREESTANDING
extension PayloadCheck {
    /// The same digest on the host, where the image writer records it.
    public static func digest(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { digest($0) }
    }
}
#endif
