import Compressors
import StubCore

/// Decodes a bzImage payload with the boot stub's own decoders (StubCore), as the stub does at boot.
enum PayloadDecoding {
    /// Why a payload could not be decoded: one line, after the file name.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The decoded payload: as many bytes as its 4-byte size trailer (gzip: ISIZE) declares, no more, no less.
    static func decode(_ payload: UnsafeRawBufferPointer) throws(Problem) -> [UInt8] {
        guard let format = PayloadFormat(detecting: payload) else {
            throw Problem(description: CompressionError.notAPayload.description)
        }
        guard payload.count >= 8 else { throw Problem(description: "corrupt \(format.name) payload: too short") }
        let size = Int(UInt32(littleEndian: payload.loadUnaligned(fromByteOffset: payload.count - 4, as: UInt32.self)))
        // gzip's ISIZE belongs to its container; every other format has the kernel's trailer appended.
        let body = UnsafeRawBufferPointer(rebasing: payload.dropLast(format.sizeTrailerLength))
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
