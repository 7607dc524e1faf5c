/// The kernel's seven payload formats, and what the host and the boot stub both need to know of each: the name
/// (`--compress`, the kernel's `CONFIG_KERNEL_*`), the container's magic, the file suffix, the size trailer, and
/// the stub's decoder. The compressors (Compressors' `Algorithm`), the bzImage reader, `extract`, the boot stub and
/// its build all take these facts from here.
public enum PayloadFormat: Int, Sendable {
    // The raw values are what an image's parameter block carries to the stub (`BootParameters.format`): fixed
    // and contiguous from 0, and declared in that order, so that `rawValue` is the case itself (no table in the
    // stub). `allCases` lists them in the kernel's Kconfig order instead (see `kconfigPosition`).
    case lz4 = 0, gzip, bzip2, lzma, xz, lzo, zstd

    /// The name `--compress` and the kernel's `CONFIG_KERNEL_<NAME>` use; the stub's entry is `stub_boot_<name>`.
    public var name: String {
        switch self {
        case .gzip: return "gzip"
        case .bzip2: return "bzip2"
        case .lzma: return "lzma"
        case .xz: return "xz"
        case .lzo: return "lzo"
        case .lz4: return "lz4"
        case .zstd: return "zstd"
        }
    }

    /// The file suffix of the kernel's `vmlinux.bin.<suffix>`.
    public var suffix: String {
        switch self {
        case .gzip: return "gz"
        case .bzip2: return "bz2"
        case .zstd: return "zst"
        default: return name
        }
    }

    /// Whether the kernel appends the 4-byte little-endian uncompressed size (`size_append`): every format but
    /// gzip, whose own ISIZE trailer serves. Either way a payload's last 4 bytes declare its decoded size.
    public var appendsSizeTrailer: Bool { self != .gzip }

    /// The bytes at the end of a payload that are the kernel's size trailer rather than part of the stream.
    public var sizeTrailerLength: Int { appendsSizeTrailer ? 4 : 0 }

    /// The bytes a payload of this format starts with: enough of the container's header to tell the seven
    /// apart (the decoders check the rest). The magic and the detector are emitted only into code that uses them
    /// (`@_alwaysEmitIntoClient`): compiled here, their lookup tables would land in the stub's shared .rodata,
    /// which the linker keeps whole.
    @_alwaysEmitIntoClient
    public var magic: Magic {
        switch self {
        case .gzip: return Magic([0x1F, 0x8B, 0, 0, 0, 0], count: 2)
        case .bzip2: return Magic([0x42, 0x5A, 0x68, 0, 0, 0], count: 3)  // "BZh"
        case .lzma: return Magic([0x5D, 0x00, 0x00, 0, 0, 0], count: 3)  // lc3 lp0 pb2, a dictionary size
        case .xz: return Magic([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], count: 6)
        case .lzo: return Magic([0x89, 0x4C, 0x5A, 0x4F, 0, 0], count: 4)  // lzop's "\x89LZO"
        case .lz4: return Magic([0x02, 0x21, 0x4C, 0x18, 0, 0], count: 4)  // legacy frame
        case .zstd: return Magic([0x28, 0xB5, 0x2F, 0xFD, 0, 0], count: 4)
        }
    }

    /// Recognises a payload by its container's magic (no two formats' magics overlap). Through the raw values
    /// rather than `allCases`, which the stub cannot have (an array).
    @_alwaysEmitIntoClient
    public init?(detecting bytes: UnsafeRawBufferPointer) {
        var raw = 0
        while let format = PayloadFormat(rawValue: raw) {
            if format.magic.matches(bytes) {
                self = format
                return
            }
            raw += 1
        }
        return nil
    }

    /// A container's leading bytes (at most six).
    public struct Magic: Sendable {
        @usableFromInline let bytes: InlineArray<6, UInt8>
        public let count: Int

        @_alwaysEmitIntoClient
        init(_ bytes: InlineArray<6, UInt8>, count: Int) {
            self.bytes = bytes
            self.count = count
        }

        @_alwaysEmitIntoClient
        public subscript(index: Int) -> UInt8 { bytes[index] }

        /// Whether `data` starts with these bytes.
        @_alwaysEmitIntoClient
        public func matches(_ data: UnsafeRawBufferPointer) -> Bool {
            guard data.count >= count else { return false }
            for i in 0..<count where data[i] != bytes[i] { return false }
            return true
        }
    }

    /// Bytes of workspace the decoder needs (the image reserves it in its bss).
    @inline(__always)
    public var workspaceSize: Int {
        switch self {
        case .lz4, .lzo: return 0
        case .gzip: return Inflate.workspaceSize
        case .bzip2: return Bzip2.workspaceSize
        case .lzma: return LZMAAlone.workspaceSize
        case .xz: return XZ.workspaceSize
        case .zstd: return Zstd.workspaceSize
        }
    }

    /// Bytes of workspace the boot stub needs: the decoder's (at least a word, for the image layout).
    public var bootWorkspaceSize: Int { max(workspaceSize, 8) }

    /// Decodes a payload (its 4-byte size trailer, where the kernel appends one, already dropped or ignored).
    @inline(__always)  // the stub's per-format entries fold this switch to one decoder
    public func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                       workspace: UnsafeMutableRawBufferPointer) throws(DecodeError) -> Int
    {
        switch self {
        case .lz4: return try LZ4.decodeLegacyFrame(input, into: output)
        case .gzip: return try Inflate.gunzip(input, into: output, workspace: workspace)
        case .bzip2: return try Bzip2.decode(input, into: output, workspace: workspace)
        case .lzma: return try LZMAAlone.decode(input, into: output, workspace: workspace)
        case .xz: return try XZ.decode(input, into: output, workspace: workspace)
        case .lzo: return try LZO.decodeLzop(input, into: output)
        case .zstd: return try Zstd.decodeFrame(input, into: output, workspace: workspace)
        }
    }
}

#if !STUB_FREESTANDING
// Host only: `allCases` is an array and comparing Strings needs Unicode tables, neither of which the
// freestanding stub (no allocations) can have. Not a `CaseIterable` conformance: for a CaseIterable raw-value
// enum, swift-argument-parser prints the raw value (the stub's number) as `--compress`'s default.
extension PayloadFormat {
    /// Every format, in the kernel's Kconfig order (gzip first), as `--compress` lists them.
    public static let allCases: [PayloadFormat] = {
        var all: [PayloadFormat] = []
        var raw = 0
        while let format = PayloadFormat(rawValue: raw) {
            all.append(format)
            raw += 1
        }
        return all.sorted { $0.kconfigPosition < $1.kconfigPosition }
    }()

    /// The format's place in the kernel's `choice` of compression (init/Kconfig, KERNEL_GZIP first).
    var kconfigPosition: Int {
        switch self {
        case .gzip: return 0
        case .bzip2: return 1
        case .lzma: return 2
        case .xz: return 3
        case .lzo: return 4
        case .lz4: return 5
        case .zstd: return 6
        }
    }

    /// The format `--compress` calls `name`.
    public init?(name: String) {
        guard let format = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = format
    }
}
#endif
