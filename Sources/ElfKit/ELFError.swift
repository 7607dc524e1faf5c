/// Why an ELF file was refused. Every case names what was being read and where, so a one-line message can
/// tell the user exactly which part of the file is wrong.
public enum ELFError: Error, Equatable, Sendable {
    /// The file has no bytes at all.
    case empty
    /// The first four bytes are not `\x7fELF`.
    case notELF
    /// A header field holds a value this reader does not handle (32-bit class, big-endian, other machine …).
    case unsupported(field: String, value: UInt64, expected: String)
    /// `what` spans `[offset, offset + length)` but the file has only `fileSize` bytes.
    case truncated(what: String, offset: UInt64, length: UInt64, fileSize: UInt64)
    /// An index into a table is out of range.
    case badIndex(what: String, index: UInt64, count: UInt64)
    /// Structurally wrong content (odd table size, unterminated string …).
    case malformed(what: String, detail: String)
}

extension ELFError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty:
            return "empty file, not an ELF"
        case .notELF:
            return "not an ELF file (no \\x7fELF magic)"
        case let .unsupported(field, value, expected):
            return "unsupported ELF: \(field) is \(hex(value)), expected \(expected)"
        case let .truncated(what, offset, length, fileSize):
            return "truncated or corrupt ELF: \(what) at \(hex(offset))+\(hex(length)) ends past the end of the "
                + "file (\(fileSize) bytes)"
        case let .badIndex(what, index, count):
            return "corrupt ELF: \(what) \(index) is out of range (\(count) entries)"
        case let .malformed(what, detail):
            return "corrupt ELF: \(what): \(detail)"
        }
    }
}

@inline(__always)
func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
