/// `init_size`: the memory a loader reserves for the protected-mode image, so that decompressing in place never
/// overwrites unread input (header.S). All values in bytes; ZO values relative to `startup_32`.
public struct InitSize: Sendable, Equatable {
    /// Decompressor image end (`ZO__end`), bss and page tables included.
    public var zoEnd: UInt64
    /// End of the decompressor's head code (`ZO__ehead`).
    public var zoHeadEnd: UInt64
    /// Compressed payload size incl. size trailer (`z_input_len`).
    public var inputLength: UInt64
    /// Decompressed size (`z_output_len`).
    public var outputLength: UInt64
    /// The kernel's own extent, `VO__end − VO__text` (bss and brk included).
    public var kernelSize: UInt64

    public init(zoEnd: UInt64, zoHeadEnd: UInt64, inputLength: UInt64, outputLength: UInt64, kernelSize: UInt64) {
        self.zoEnd = zoEnd
        self.zoHeadEnd = zoHeadEnd
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.kernelSize = kernelSize
    }

    /// The in-place safety margin: covers LZ4's worst-case growth (>> 8) and zstd's 128 KiB block.
    public var extra: UInt64 { (outputLength >> 8) + 131_072 }

    public var extractOffset: UInt64 {
        outputLength > inputLength ? outputLength + extra - inputLength : extra
    }

    /// Where the decompressor moves itself inside the buffer, 4 KiB aligned.
    public var minimumExtractOffset: UInt64 { roundUp4K(max(zoHeadEnd, extractOffset)) }

    /// `ZO_INIT_SIZE`: the decompressor moved to its extract offset, up to its `_end`.
    public var decompressorSize: UInt64 { zoEnd + minimumExtractOffset }

    public var value: UInt64 { max(decompressorSize, kernelSize) }

    func roundUp4K(_ value: UInt64) -> UInt64 { (value + 0xFFF) & ~0xFFF }
}
