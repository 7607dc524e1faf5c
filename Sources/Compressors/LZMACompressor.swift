import CLzma

/// `.lzma` (LZMA-alone) as `lzma -9` writes it: properties 0x5D, the preset's dictionary, size "unknown" and an
/// end marker; then the size trailer. Also the liblzma decoder for both `.lzma` and `.xz`.
enum LZMA {
    static func compress(_ input: UnsafeRawBufferPointer, level: Int, options: CompressionOptions)
        throws(CompressionError) -> [UInt8]
    {
        var settings = lzma_options_lzma()
        guard lzma_lzma_preset(&settings, UInt32(level)) == 0 else { throw .library(.lzma, "no preset \(level)") }
        var stream = lzma_stream()
        guard lzma_alone_encoder(&stream, &settings) == LZMA_OK else { throw .library(.lzma, "encoder setup failed") }
        defer { lzma_end(&stream) }
        return try run(&stream, input: input, capacity: input.count + input.count / 3 + 128, algorithm: .lzma,
                       progress: options.progress)
    }

    /// Feeds `input` in steps (for progress), then finishes; returns what the encoder wrote.
    static func run(_ stream: inout lzma_stream, input: UnsafeRawBufferPointer, capacity: Int, algorithm: Algorithm,
                    progress: (@Sendable (Int, Int) -> Void)?) throws(CompressionError) -> [UInt8]
    {
        try [UInt8].filling(capacity: capacity) { (out) throws(CompressionError) -> Int in
            stream.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = out.count
            let step = 1 << 20
            var fed = 0
            while true {
                let end = min(fed + step, input.count)
                stream.next_in = input.baseAddress.map { ($0 + fed).assumingMemoryBound(to: UInt8.self) }
                stream.avail_in = end - fed
                let finishing = end == input.count
                let status = lzma_code(&stream, finishing ? LZMA_FINISH : LZMA_RUN)
                if finishing && status == LZMA_STREAM_END { break }
                guard status == LZMA_OK, stream.avail_out > 0 || !finishing else {
                    throw .library(algorithm, "lzma_code status \(status.rawValue)")
                }
                if !finishing {
                    guard stream.avail_in == 0 else { throw .library(algorithm, "output buffer too small") }
                    fed = end
                    progress?(fed, input.count)
                }
            }
            progress?(input.count, input.count)
            return out.count - stream.avail_out
        }
    }

    /// `out` should hold one byte more than expected: the decoder must have room to tell an overlong stream, and
    /// to reach the end marker of an empty one.
    static func decompress(_ payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer,
                           algorithm: Algorithm) throws(CompressionError) -> Int
    {
        var stream = lzma_stream()
        let setup = algorithm == .xz
            ? lzma_stream_decoder(&stream, UInt64.max, 0)
            : lzma_alone_decoder(&stream, UInt64.max)
        guard setup == LZMA_OK else { throw .library(algorithm, "decoder setup failed") }
        defer { lzma_end(&stream) }
        stream.next_in = payload.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.avail_in = payload.count
        stream.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = out.count
        let status = lzma_code(&stream, LZMA_FINISH)
        guard status == LZMA_STREAM_END else { throw .corrupt(algorithm, "liblzma status \(status.rawValue)") }
        return out.count - stream.avail_out
    }
}
