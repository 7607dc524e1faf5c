/// What the entry code tells `stub_boot`: six 8-byte little-endian fields, in this order, as the assembly
/// writes them.
public struct BootParameters {
    public static let size = 48

    /// Where each field is in the block (the entry code writes `delta` at boot).
    /// (Computed, not stored: constants that fold away in the freestanding stub exactly as literals do.)
    public enum Offset {
        public static var outputLength: Int { 0 }
        public static var format: Int { 8 }
        public static var loadAddress: Int { 16 }
        public static var delta: Int { 24 }
        public static var inverseTable: Int { 32 }
        public static var payloadDigest: Int { 40 }
    }
    /// Decompressed size (the payload's size trailer, `z_output_len`).
    public var outputLength: Int
    /// The `PayloadFormat` the image carries (each stub decodes one; a mismatch is refused).
    public var format: Int
    /// `LOAD_PHYSICAL_ADDR`: the physical address the kernel was linked to run at.
    public var loadAddress: UInt64
    /// Virtual (KASLR) delta to apply through the relocation table; 0 applies none.
    public var delta: Int64
    /// 1 when the table has the 6.1-6.14 inverse-32 run.
    public var inverseTable: Int
    /// `PayloadCheck.digest` of the payload as stored (size trailer included).
    public var payloadDigest: UInt64

    public init(outputLength: Int, format: Int, loadAddress: UInt64, delta: Int64, inverseTable: Int, payloadDigest: UInt64) {
        self.outputLength = outputLength
        self.format = format
        self.loadAddress = loadAddress
        self.delta = delta
        self.inverseTable = inverseTable
        self.payloadDigest = payloadDigest
    }

    /// Reads the block the entry code wrote.
    public init(reading raw: UnsafeRawPointer) {
        outputLength = raw.loadUnaligned(fromByteOffset: Offset.outputLength, as: Int.self)
        format = raw.loadUnaligned(fromByteOffset: Offset.format, as: Int.self)
        loadAddress = raw.loadUnaligned(fromByteOffset: Offset.loadAddress, as: UInt64.self)
        delta = raw.loadUnaligned(fromByteOffset: Offset.delta, as: Int64.self)
        inverseTable = raw.loadUnaligned(fromByteOffset: Offset.inverseTable, as: Int.self)
        payloadDigest = raw.loadUnaligned(fromByteOffset: Offset.payloadDigest, as: UInt64.self)
    }

    /// Writes the block as the entry code lays it out (`size` bytes).
    public func write(to raw: UnsafeMutableRawPointer) {
        raw.storeBytes(of: outputLength, toByteOffset: Offset.outputLength, as: Int.self)
        raw.storeBytes(of: format, toByteOffset: Offset.format, as: Int.self)
        raw.storeBytes(of: loadAddress, toByteOffset: Offset.loadAddress, as: UInt64.self)
        raw.storeBytes(of: delta, toByteOffset: Offset.delta, as: Int64.self)
        raw.storeBytes(of: inverseTable, toByteOffset: Offset.inverseTable, as: Int.self)
        raw.storeBytes(of: payloadDigest, toByteOffset: Offset.payloadDigest, as: UInt64.self)
    }
}
