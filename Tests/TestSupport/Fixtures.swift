import Foundation

/// Where the test inputs are: the small committed ELF in Tests/Fixtures and the Debian kernels that
/// `scripts/fetch-fixtures` puts in the cache (`$MKBZIMAGE_FIXTURES`, default `<repo>/.fixtures`).
public enum Fixtures {
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var cache: URL {
        if let path = ProcessInfo.processInfo.environment["MKBZIMAGE_FIXTURES"] { return URL(fileURLWithPath: path) }
        return repositoryRoot.appendingPathComponent(".fixtures")
    }

    /// A tiny kernel-shaped ELF built from Tests/Fixtures/tiny-vmlinux.S, and objcopy's strip of it.
    public static let tinyVmlinux = repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-vmlinux").path
    public static let tinyVmlinuxObjcopy = repositoryRoot.appendingPathComponent("Tests/Fixtures/tiny-vmlinux.objcopy").path

    public static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// One Debian kernel build: its vmlinux and the ground truth derived from its kernel-built vmlinuz.
    public struct Kernel: Sendable {
        public let series: String
        public let directory: URL
        public var vmlinux: String { directory.appendingPathComponent("vmlinux").path }
        public var vmlinuz: String { directory.appendingPathComponent("vmlinuz").path }
        /// The vmlinuz payload, decompressed by Debian's CLI: stripped ELF ++ relocation table.
        public var payload: String { directory.appendingPathComponent("payload.bin").path }
        /// `objcopy -R .comment -S vmlinux`
        public var objcopy: String { directory.appendingPathComponent("vmlinux.objcopy").path }
        /// The build's efivarfs module (a module in Debian's cloud kernels).
        public var efivarfs: String { directory.appendingPathComponent("efivarfs.ko").path }
        /// The Debian ABI name ("6.1.0-53").
        public var version: String {
            let text = (try? String(contentsOf: directory.appendingPathComponent("VERSION"), encoding: .utf8)) ?? ""
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The cached kernel of `series` ("6.1", "6.12"), or an error telling how to fetch it.
    public static func kernel(_ series: String) throws -> Kernel {
        let kernel = Kernel(series: series, directory: cache.appendingPathComponent(series))
        for path in [kernel.vmlinux, kernel.vmlinuz, kernel.payload, kernel.objcopy, kernel.efivarfs]
        where !FileManager.default.fileExists(atPath: path) {
            throw Missing(description: "\(path) is missing: run scripts/fetch-fixtures first")
        }
        return kernel
    }
}

/// A deterministic pseudo-random generator (SplitMix64), so fuzz-style tests are repeatable.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    /// Little-endian store, for patching test inputs.
    public mutating func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { replaceSubrange(offset..<offset + $0.count, with: $0) }
    }

    public func get<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        self[offset..<offset + MemoryLayout<T>.size].withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
    }
}

extension Fixtures {
    /// Where the payload sits in a bzImage's bytes, located through its setup header as a boot loader would:
    /// (setup_sects + 1) * 512 + payload_offset, payload_length bytes.
    public static func payloadRange(ofImage image: [UInt8]) -> Range<Int> {
        let setupSize = (Int(image[0x1F1]) + 1) * 512
        let offset = Int(image.get(UInt32.self, at: 0x248)), length = Int(image.get(UInt32.self, at: 0x24C))
        return setupSize + offset..<setupSize + offset + length
    }

    /// The raw payload bytes inside a bzImage.
    public static func rawPayload(ofImage path: String) throws -> [UInt8] {
        let image = try bytes(path)
        return Array(image[payloadRange(ofImage: image)])
    }
}

/// Runs a shell pipeline (for the standard CLIs that serve as test oracles) and returns its exit status.
public func shell(_ script: String) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// Deterministic test data that looks like a kernel to a compressor: code-like bytes, long zero runs, noise.
public func syntheticKernelLikeData(count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var out = [UInt8]()
    out.reserveCapacity(count)
    let words: [[UInt8]] = (0..<64).map { _ in (0..<Int.random(in: 2...9, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) } }
    while out.count < count {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0: out += [UInt8](repeating: 0, count: Int.random(in: 1...4096, using: &generator))
        case 1: out += (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        case 2: out += [UInt8](repeating: 0xCC, count: Int.random(in: 1...300, using: &generator))
        default: out += words.randomElement(using: &generator)!
        }
    }
    return Array(out.prefix(count))
}

/// A test helper (a script, a fixture edit) that could not do its work.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
