/// The kernel's seven payload formats, named as in `--compress` and the kernel's `CONFIG_KERNEL_*`.
public enum Algorithm: String, CaseIterable, Sendable {
    case gzip, bzip2, lzma, xz, lzo, lz4, zstd

    /// Whether the kernel appends the 4-byte little-endian uncompressed size (`size_append`): every format but
    /// gzip, whose own ISIZE trailer serves.
    public var appendsSizeTrailer: Bool { self != .gzip }

    /// The file suffix of the kernel's `vmlinux.bin.<suffix>`.
    public var suffix: String {
        switch self {
        case .gzip: return "gz"
        case .bzip2: return "bz2"
        case .zstd: return "zst"
        default: return rawValue
        }
    }

    /// The kernel's level, and the range `--level` accepts.
    public var defaultLevel: Int {
        switch self {
        case .gzip: return 9  // libdeflate 9: a little smaller than the kernel's `gzip -9`, and 2.5× faster
        case .bzip2, .lzma, .lzo, .lz4: return 9
        case .xz: return 6
        case .zstd: return 22
        }
    }

    public var levels: ClosedRange<Int> {
        switch self {
        case .gzip: return 1...12
        case .bzip2, .lzma, .xz, .lzo: return 1...9
        case .lz4: return 1...12
        case .zstd: return 1...22
        }
    }

    /// Recognises a payload by its container's magic bytes.
    public init?(detecting bytes: UnsafeRawBufferPointer) {
        func starts(_ magic: [UInt8]) -> Bool { bytes.count >= magic.count && bytes.prefix(magic.count).elementsEqual(magic) }
        if starts([0x1F, 0x8B]) { self = .gzip }
        else if starts([0x42, 0x5A, 0x68]) { self = .bzip2 }
        else if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { self = .xz }
        else if starts([0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]) { self = .lzo }
        else if starts([0x02, 0x21, 0x4C, 0x18]) { self = .lz4 }
        else if starts([0x28, 0xB5, 0x2F, 0xFD]) { self = .zstd }
        else if starts([0x5D, 0x00, 0x00]) { self = .lzma }  // lc3 lp0 pb2 and a dictionary size
        else { return nil }
    }
}

/// How to compress.
public struct CompressionOptions: Sendable {
    /// nil: the kernel's level.
    public var level: Int?
    /// Worker threads for formats that can split their work without changing their output.
    public var threads: Int
    /// Called with (bytes of input consumed, total) from the compressing thread, for progress display.
    public var progress: (@Sendable (Int, Int) -> Void)?

    public init(level: Int? = nil, threads: Int = 1, progress: (@Sendable (Int, Int) -> Void)? = nil) {
        self.level = level
        self.threads = max(1, threads)
        self.progress = progress
    }
}

/// Why compressing or decompressing failed.
public enum CompressionError: Error, Equatable, CustomStringConvertible {
    case levelOutOfRange(Algorithm, Int)
    case inputTooLarge(Int)
    case library(Algorithm, String)
    case corrupt(Algorithm, String)
    case notAPayload

    public var description: String {
        switch self {
        case let .levelOutOfRange(algorithm, level):
            return "level \(level) is not valid for \(algorithm.rawValue) (\(algorithm.levels.lowerBound)-\(algorithm.levels.upperBound))"
        case let .inputTooLarge(size):
            return "input of \(size) bytes is too large for the 32-bit size trailer"
        case let .library(algorithm, message):
            return "\(algorithm.rawValue) compressor failed: \(message)"
        case let .corrupt(algorithm, message):
            return "corrupt \(algorithm.rawValue) payload: \(message)"
        case .notAPayload:
            return "not a kernel payload (no gzip, bzip2, lzma, xz, lzo, lz4 or zstd magic)"
        }
    }
}
