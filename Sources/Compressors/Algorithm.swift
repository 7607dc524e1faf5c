/// The kernel's seven payload formats (issue: Compressors). Named as in `--compress` and the kernel's Kconfig.
public enum Algorithm: String, CaseIterable, Sendable {
    case gzip, bzip2, lzma, xz, lzo, lz4, zstd

    /// Whether the kernel appends the 4-byte little-endian uncompressed size (every format but gzip, whose
    /// own ISIZE trailer serves).
    public var appendsSizeTrailer: Bool { self != .gzip }
}
