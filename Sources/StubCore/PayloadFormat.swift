/// The payload formats the stub decodes, numbered as the entry code passes them.
public enum PayloadFormat: Int, Sendable {
    case lz4 = 0, gzip, bzip2, lzma, xz, lzo, zstd

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
