#if canImport(Glibc)
import Glibc
#endif

/// A one-line percentage on stderr for long compressions; only when stderr is a terminal, so scripts and CI
/// logs stay silent.
final class ProgressMeter: @unchecked Sendable {
    private let label: String
    private var shown = -1

    /// nil when stderr is not a terminal.
    init?(label: String) {
        guard isatty(2) == 1 else { return nil }
        self.label = label
    }

    func update(_ done: Int, _ total: Int) {
        let percent = total > 0 ? done * 100 / total : 100
        guard percent != shown else { return }
        shown = percent
        write("\r\(label): \(percent)%")
    }

    func finish() { if shown >= 0 { write("\r\u{1B}[K") } }

    private func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

extension Optional where Wrapped == ProgressMeter {
    func finish() { self?.finish() }
}
