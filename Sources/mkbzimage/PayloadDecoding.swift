import StubCore

/// Decodes a bzImage payload with the boot stub's own decoders (StubCore), as the stub does at boot.
enum PayloadDecoding {
    /// Why a payload could not be decoded: one line, after the file name.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The payload's format, by its container's magic.
    static func format(of payload: UnsafeRawBufferPointer) -> PayloadFormat? {
        func starts(_ magic: InlineArray<6, UInt8>, _ count: Int) -> Bool {
            guard payload.count >= count else { return false }
            for i in 0..<count where payload[i] != magic[i] { return false }
            return true
        }
        if starts([0x1F, 0x8B, 0, 0, 0, 0], 2) { return .gzip }
        if starts([0x42, 0x5A, 0x68, 0, 0, 0], 3) { return .bzip2 }  // "BZh"
        if starts([0x5D, 0x00, 0x00, 0, 0, 0], 3) { return .lzma }  // lc3 lp0 pb2, a dictionary size
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], 6) { return .xz }
        if starts([0x89, 0x4C, 0x5A, 0x4F, 0, 0], 4) { return .lzo }
        if starts([0x02, 0x21, 0x4C, 0x18, 0, 0], 4) { return .lz4 }
        if starts([0x28, 0xB5, 0x2F, 0xFD, 0, 0], 4) { return .zstd }
        return nil
    }

    /// The decoded payload: as many bytes as its 4-byte size trailer (gzip: ISIZE) declares, no more, no less.
    static func decode(_ payload: UnsafeRawBufferPointer) throws(Problem) -> [UInt8] {
        guard let format = format(of: payload) else {
            throw Problem(description: "not a kernel payload (no gzip, bzip2, lzma, xz, lzo, lz4 or zstd magic)")
        }
        guard payload.count >= 8 else { throw Problem(description: "corrupt \(format.name) payload: too short") }
        let size = Int(UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: payload.count - 4, as: UInt32.self)))
        // gzip's ISIZE belongs to its container; every other format has the kernel's trailer appended.
        let body = format == .gzip ? payload : UnsafeRawBufferPointer(rebasing: payload.dropLast(4))
        var workspace = [UInt64](repeating: 0, count: (format.workspaceSize + 7) / 8)
        var failure: DecodeError?
        let content = [UInt8](unsafeUninitializedCapacity: max(size, 1)) { buffer, count in
            count = 0
            workspace.withUnsafeMutableBytes { workspace in
                do throws(DecodeError) {
                    let output = UnsafeMutableRawBufferPointer(buffer).prefix(size)
                    count = try format.decode(body, into: UnsafeMutableRawBufferPointer(rebasing: output),
                                              workspace: workspace)
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw Problem(description: "corrupt \(format.name) payload: \(failure.check(size: size))") }
        guard content.count == size else {
            throw Problem(description: "corrupt \(format.name) payload: decoded to \(content.count) bytes, "
                          + "its size trailer says \(size)")
        }
        return content
    }
}

extension PayloadFormat {
    /// The name `--compress` uses.
    var name: String {
        switch self {
        case .lz4: return "lz4"
        case .gzip: return "gzip"
        case .bzip2: return "bzip2"
        case .lzma: return "lzma"
        case .xz: return "xz"
        case .lzo: return "lzo"
        case .zstd: return "zstd"
        }
    }
}

extension DecodeError {
    /// The check that failed, for a payload declaring `size` bytes.
    func check(size: Int) -> String {
        switch self {
        case .truncated: return "the data ends inside a structure (truncated)"
        case .badHeader: return "a header or block is malformed"
        case .badOffset: return "a back-reference reaches before the start of the output"
        case .outputOverflow: return "it decodes past the \(size) bytes its size trailer declares"
        case .sizeMismatch: return "it decodes to a size other than its header declares"
        case .checksum: return "its checksum does not match"
        }
    }
}
