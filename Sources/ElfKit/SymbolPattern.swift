#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX extended regular expression matched the way the kernel's `relocs` matches symbol names
/// (`regexec` success = "found anywhere"), through the C library so the semantics are exactly POSIX ERE.
final class SymbolPattern: @unchecked Sendable {
    private var regex = regex_t()

    init(_ pattern: String) {
        let status = regcomp(&regex, pattern, REG_EXTENDED | REG_NOSUB)
        // The patterns are constants of this module; a failure is a programming error caught by the tests.
        precondition(status == 0, "bad pattern \(pattern)")
    }

    deinit { regfree(&regex) }

    func matches(_ name: UnsafePointer<CChar>) -> Bool { regexec(&regex, name, 0, nil, 0) == 0 }
}
