import StubCore

/// Compressing `vmlinux.bin ++ relocs` into the kernel's payload (container + size trailer) and back.
public enum Payload {
    /// The payload for `input` as the kernel's build makes it: the container, then (all but gzip) the
    /// uncompressed size as 4 bytes little-endian.
    public static func compress(_ input: UnsafeRawBufferPointer, with algorithm: Algorithm,
                                options: CompressionOptions = CompressionOptions()) throws(CompressionError) -> [UInt8]
    {
        let level = options.level ?? algorithm.defaultLevel
        guard algorithm.levels.contains(level) else { throw .levelOutOfRange(algorithm, level) }
        guard input.count <= Int(UInt32.max) else { throw .inputTooLarge(input.count) }
        var out: [UInt8]
        switch algorithm {
        case .gzip: out = try Gzip.compress(input, level: level)
        case .bzip2: out = try Bzip2.compress(input, level: level, threads: options.threads)
        case .lzma: out = try LZMA.compress(input, level: level, options: options)
        case .xz: out = try XZ.compress(input, level: level, options: options)
        case .lzo: out = try LZO.compress(input, level: level, threads: options.threads)
        case .lz4: out = try LZ4.compress(input, level: level, threads: options.threads)
        case .zstd: out = try Zstd.compress(input, level: level, options: options)
        }
        if algorithm.appendsSizeTrailer { out.appendLittleEndian(UInt32(input.count)) }
        return out
    }

    /// The uncompressed size a payload declares: its size trailer (gzip: ISIZE), as the kernel's mkpiggy reads it.
    public static func declaredSize(of payload: UnsafeRawBufferPointer) -> Int? {
        guard payload.count >= 4 else { return nil }
        return Int(UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: payload.count - 4, as: UInt32.self)))
    }

    /// Decompresses a payload (detected by its magic) through the C libraries, checking the size trailer.
    public static func decompress(_ payload: UnsafeRawBufferPointer) throws(CompressionError) -> (Algorithm, [UInt8]) {
        guard let algorithm = PayloadFormat(detecting: payload) else { throw .notAPayload }
        guard let size = declaredSize(of: payload) else { throw .corrupt(algorithm, "shorter than its size trailer") }
        // One spare byte: an overlong stream shows as more output than the trailer declares.
        let out = try [UInt8].filling(capacity: size + 1) { (out) throws(CompressionError) -> Int in
            try decompress(payload, as: algorithm, into: out)
        }
        guard out.count == size else {
            throw .corrupt(algorithm, "decompressed to \(out.count) bytes, the trailer says \(size)")
        }
        return (algorithm, out)
    }

    /// Decompresses a payload of `algorithm` through its C library into `out`; returns the bytes written. The
    /// size trailer (all but gzip) is skipped, not checked.
    public static func decompress(_ payload: UnsafeRawBufferPointer, as algorithm: Algorithm,
                                  into out: UnsafeMutableRawBufferPointer) throws(CompressionError) -> Int
    {
        guard payload.count >= 4 else { throw .corrupt(algorithm, "shorter than its size trailer") }
        let body = UnsafeRawBufferPointer(rebasing: payload.dropLast(algorithm.sizeTrailerLength))
        switch algorithm {
        case .gzip: return try Gzip.decompress(body, into: out)
        case .bzip2: return try Bzip2.decompress(body, into: out)
        case .lzma: return try LZMA.decompress(body, into: out, algorithm: .lzma)
        case .xz: return try LZMA.decompress(body, into: out, algorithm: .xz)
        case .lzo: return try LZO.decompress(body, into: out)
        case .lz4: return try LZ4.decompress(body, into: out)
        case .zstd: return try Zstd.decompress(body, into: out)
        }
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// An array of `capacity` bytes filled by `body`, which returns how many it wrote.
    static func filling(capacity: Int, _ body: (UnsafeMutableRawBufferPointer) throws(CompressionError) -> Int)
        throws(CompressionError) -> [UInt8]
    {
        var result: Result<Int, CompressionError> = .success(0)
        let array = [UInt8](unsafeUninitializedCapacity: Swift.max(capacity, 1)) { buffer, count in
            do throws(CompressionError) {
                count = try body(UnsafeMutableRawBufferPointer(buffer).prefix(capacity).rebased)
                result = .success(count)
            } catch {
                count = 0
                result = .failure(error)
            }
        }
        _ = try result.get()
        return array
    }
}

extension Slice where Base == UnsafeMutableRawBufferPointer {
    var rebased: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: self) }
}
