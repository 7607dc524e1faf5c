#if !STUB_FREESTANDING
import Synchronization
#endif

/// Progress reports, so a host test can prove in-place decoding safe. At boot the payload sits at the end of the
/// buffer the output fills from its start: that is safe only if no input byte is read after the output has
/// overwritten it. Decoders call `reportProgress` with the next input byte they will read and the end of the output
/// they have written, keeping this contract:
///   - between two consecutive reports they read input only at or after the first one's read position, and write
///     output only below the second one's written end (below the first report, "read" is the input's start);
///   - after their last report they write nothing they would read afterwards, or they report again.
/// Then for every read at position p: the writes before it end below the next report's end, which is at most the
/// previous report's read position, which is at most p. So a test that places input and output as the boot layout
/// does and checks, at every report, `written ≤ read` against this report's and the previous report's read
/// position proves that every read saw unwritten input (InPlaceTests does, and poisons what the output passed to
/// catch reads that break the contract).
///
/// In the freestanding stub the call is empty and compiles away; on the host it is one atomic load unless a test
/// observes.
@inline(__always)
func reportProgress(_ input: UnsafeRawBufferPointer, _ read: Int, _ output: UnsafeMutableRawBufferPointer,
                    _ written: Int)
{
    #if !STUB_FREESTANDING
    if DecodeProgress.observers.load(ordering: .relaxed) != 0 { DecodeProgress.report(input, read, output, written) }
    #endif
}

#if !STUB_FREESTANDING
/// Host only: watching the decoders' progress reports (see `reportProgress`).
public enum DecodeProgress {
    /// Receives the address of the next input byte the decoder will read and the end of the output it has written.
    public typealias Observer = @Sendable (_ read: UnsafeRawPointer, _ written: UnsafeRawPointer) -> Void

    @TaskLocal static var observer: Observer?
    /// Tasks observing now; while there are none, a report is one atomic load.
    static let observers = Atomic<Int>(0)

    /// Runs `body` with `observer` receiving the reports of every decoder `body` runs on this task.
    public static func observing<R>(_ observer: @escaping Observer, _ body: () throws -> R) rethrows -> R {
        observers.add(1, ordering: .relaxed)
        defer { observers.subtract(1, ordering: .relaxed) }
        return try $observer.withValue(observer, operation: body)
    }

    @inline(never)
    static func report(_ input: UnsafeRawBufferPointer, _ read: Int, _ output: UnsafeMutableRawBufferPointer,
                       _ written: Int)
    {
        guard let observer, let inputBase = input.baseAddress, let outputBase = output.baseAddress else { return }
        observer(inputBase + read, UnsafeRawPointer(outputBase + written))
    }
}
#endif
