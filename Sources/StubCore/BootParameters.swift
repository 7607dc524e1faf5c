/// What the entry code tells `stub_boot`: six 8-byte little-endian fields, in this order, as the assembly
/// writes them.
public struct BootParameters {
    public static let size = 48
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
        outputLength = raw.loadUnaligned(fromByteOffset: 0, as: Int.self)
        format = raw.loadUnaligned(fromByteOffset: 8, as: Int.self)
        loadAddress = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        delta = raw.loadUnaligned(fromByteOffset: 24, as: Int64.self)
        inverseTable = raw.loadUnaligned(fromByteOffset: 32, as: Int.self)
        payloadDigest = raw.loadUnaligned(fromByteOffset: 40, as: UInt64.self)
    }

    /// Writes the block as the entry code lays it out (`size` bytes).
    public func write(to raw: UnsafeMutableRawPointer) {
        raw.storeBytes(of: outputLength, toByteOffset: 0, as: Int.self)
        raw.storeBytes(of: format, toByteOffset: 8, as: Int.self)
        raw.storeBytes(of: loadAddress, toByteOffset: 16, as: UInt64.self)
        raw.storeBytes(of: delta, toByteOffset: 24, as: Int64.self)
        raw.storeBytes(of: inverseTable, toByteOffset: 32, as: Int.self)
        raw.storeBytes(of: payloadDigest, toByteOffset: 40, as: UInt64.self)
    }
}
