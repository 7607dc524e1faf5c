import CZstd

/// One zstd frame as the kernel's `zstd -22 --ultra` writes it from a pipe: the size is not pledged (no
/// content-size field, window from the unknown-size table: 128 MiB at level 22), checksum on. The input is fed
/// in the CLI's 128 KiB steps in multi-threaded mode (the CLI's default of one worker), whose output does not
/// depend on the number of workers — so any thread count gives the CLI's bytes. At level 22 the job size follows
/// the 128 MiB window, so the payload is one job: smaller jobs (ZSTD_c_jobSize) would use both cores but, on the
/// Debian 6.1 payload, cost 0.03-0.13 % in size and 25-40 % more CPU (each job indexes its overlap again), for at
/// best ~0.65x the time — so the kernel's bytes it is.
enum Zstd {
    static func compress(_ input: UnsafeRawBufferPointer, level: Int, options: CompressionOptions)
        throws(CompressionError) -> [UInt8]
    {
        guard let context = ZSTD_createCCtx() else { throw .library(.zstd, "out of memory") }
        defer { ZSTD_freeCCtx(context) }
        func check(_ code: Int) throws(CompressionError) {
            if ZSTD_isError(code) != 0 { throw .library(.zstd, String(cString: ZSTD_getErrorName(code))) }
        }
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)))
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(options.threads)))

        let bound = ZSTD_compressBound(input.count)
        return try [UInt8].filling(capacity: bound) { (out) throws(CompressionError) -> Int in
            var output = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let step = ZSTD_CStreamInSize()
            var fed = 0
            repeat {
                let end = min(fed + step, input.count)
                var chunk = ZSTD_inBuffer(src: input.baseAddress.map { $0 + fed }, size: end - fed, pos: 0)
                while chunk.pos < chunk.size {
                    try check(ZSTD_compressStream2(context, &output, &chunk, ZSTD_e_continue))
                }
                fed = end
                options.progress?(fed, input.count)
            } while fed < input.count
            var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
            var remaining = 1
            while remaining != 0 {
                remaining = ZSTD_compressStream2(context, &output, &empty, ZSTD_e_end)
                try check(remaining)
            }
            return output.pos
        }
    }

    static func decompress(_ payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer)
        throws(CompressionError) -> Int
    {
        // The boot decoder reads only the first frame.
        let frame = ZSTD_findFrameCompressedSize(payload.baseAddress, payload.count)
        guard ZSTD_isError(frame) == 0 else { throw .corrupt(.zstd, String(cString: ZSTD_getErrorName(frame))) }
        let n = ZSTD_decompress(out.baseAddress, out.count, payload.baseAddress, frame)
        guard ZSTD_isError(n) == 0 else { throw .corrupt(.zstd, String(cString: ZSTD_getErrorName(n))) }
        return n
    }
}
