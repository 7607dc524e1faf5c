import StubCore

/// The kernel's seven payload formats, as the compressors name them. The facts about each (name, magic, suffix,
/// size trailer, the order `--compress` lists them in) are StubCore's `PayloadFormat`, shared with the boot stub
/// and the bzImage reader; what only compressing needs (the levels) is added here.
public typealias Algorithm = PayloadFormat

extension PayloadFormat {
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
            return "level \(level) is not valid for \(algorithm.name) (\(algorithm.levels.lowerBound)-\(algorithm.levels.upperBound))"
        case let .inputTooLarge(size):
            return "input of \(size) bytes is too large for the 32-bit size trailer"
        case let .library(algorithm, message):
            return "\(algorithm.name) compressor failed: \(message)"
        case let .corrupt(algorithm, message):
            return "corrupt \(algorithm.name) payload: \(message)"
        case .notAPayload:
            let names = PayloadFormat.allCases.map(\.name)
            return "not a kernel payload (no \(names.dropLast().joined(separator: ", ")) or \(names.last!) magic)"
        }
    }
}
