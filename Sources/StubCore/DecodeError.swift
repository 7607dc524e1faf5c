/// Why a payload could not be decoded. The stub prints which check failed; the host reports it.
public enum DecodeError: Error, Equatable, Sendable {
    /// The input ended inside a structure.
    case truncated
    /// A header or magic is not what the format requires.
    case badHeader
    /// A back-reference points before the start of the output.
    case badOffset
    /// The data would write past the output buffer.
    case outputOverflow
    /// Decoding finished short of the declared size.
    case sizeMismatch
    /// The data decoded but its checksum does not match.
    case checksum
}
