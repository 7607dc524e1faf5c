import CLzma

/// `.xz` as the kernel's `scripts/xz_wrap.sh` writes it: CRC32 check (the boot decoder rejects CRC64/SHA-256),
/// x86 BCJ then LZMA2 with a 32 MiB dictionary, one block without recorded sizes (as xz writes from a pipe); then
/// the size trailer. Single-threaded, deliberately: on the Debian 6.1 payload, two independent 26.6 MB blocks
/// (`xz -T2 --block-size`) come out 0.42 % larger than one, and the nice-length tuning that wins 0.1-0.2 % back
/// costs the time the second core saved; priming the second half's encoder with the first half keeps the size but
/// has it index that half again. The kernel's own bytes, and never larger, beat 0.9x the time.
enum XZ {
    static let dictionarySize: UInt32 = 32 << 20

    static func compress(_ input: UnsafeRawBufferPointer, level: Int, options: CompressionOptions)
        throws(CompressionError) -> [UInt8]
    {
        var lzma2 = lzma_options_lzma()
        guard lzma_lzma_preset(&lzma2, UInt32(level)) == 0 else { throw .library(.xz, "no preset \(level)") }
        lzma2.dict_size = dictionarySize
        return try withUnsafeMutablePointer(to: &lzma2) { (lzma2) throws(CompressionError) -> [UInt8] in
            var filters = [
                lzma_filter(id: clzma_filter_x86(), options: nil),
                lzma_filter(id: clzma_filter_lzma2(), options: UnsafeMutableRawPointer(lzma2)),
                lzma_filter(id: clzma_vli_unknown(), options: nil),
            ]
            var stream = lzma_stream()
            guard lzma_stream_encoder(&stream, &filters, LZMA_CHECK_CRC32) == LZMA_OK else {
                throw .library(.xz, "encoder setup failed")
            }
            defer { lzma_end(&stream) }
            return try LZMA.run(&stream, input: input, capacity: lzma_stream_buffer_bound(input.count),
                                algorithm: .xz, progress: options.progress)
        }
    }
}
