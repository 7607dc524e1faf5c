/// `kernel_info` (protocol 2.15), at `setup_size + kernel_info_offset`: "LToP", the size of its fixed part, its
/// total size, and `setup_type_max`, all little-endian u32.
public struct KernelInfo: Sendable, Equatable {
    public static let magic: UInt32 = 0x506F_544C  // "LToP"
    public var headerSize: UInt32
    public var totalSize: UInt32
    public var setupTypeMax: UInt32

    public init(headerSize: UInt32 = 16, totalSize: UInt32 = 16, setupTypeMax: UInt32) {
        self.headerSize = headerSize
        self.totalSize = totalSize
        self.setupTypeMax = setupTypeMax
    }

    /// The 6.1/6.12 value: SETUP_ENUM_MAX (SETUP_RNG_SEED = 9) | SETUP_INDIRECT.
    public static let linuxSetupTypeMax: UInt32 = 0x8000_0009

    /// nil when the bytes at `offset` are not a kernel_info.
    public init?(image: UnsafeRawBufferPointer, offset: Int) {
        guard offset >= 0, offset <= image.count - 16 else { return nil }
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: image.loadUnaligned(fromByteOffset: offset + at, as: UInt32.self)) }
        guard u32(0) == Self.magic else { return nil }
        headerSize = u32(4)
        totalSize = u32(8)
        setupTypeMax = u32(12)
    }

    public var encoded: [UInt8] {
        [Self.magic, headerSize, totalSize, setupTypeMax].flatMap { value in
            withUnsafeBytes(of: value.littleEndian) { Array($0) }
        }
    }
}
