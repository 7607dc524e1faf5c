import Compressors
import SetupHeader
import StubCore
import Testing
import TestSupport

/// Decoding in place as at boot: the compressed payload sits at the init_size formula's extract offset inside the
/// very buffer the output fills from its start. Safe only if no input byte is read after the output overwrote it,
/// which these tests prove from the decoders' progress reports (see StubCore's `reportProgress` for the contract):
///   1. in the real layout, every report's written end must stay at or below the read position of that report and
///      of the one before (reads between two reports are at or after the first one's position) — a proof for all
///      reads that keep the contract — and the output must be right;
///   2. with the input in a separate copy that is poisoned (inverted) as the output passes it, exactly as the real
///      layout would overwrite it at report granularity, decoding must still succeed: a read that broke the
///      contract (such as re-reading a header after decoding) would see a poisoned byte. In the real layout it
///      might by chance see an equal output byte; a poisoned byte always differs.
@Suite struct InPlaceTests {
    @Test(arguments: PayloadFormat.allCases)
    func decodesInPlace(format: PayloadFormat) throws {
        let content = try Fixtures.bytes(try Fixtures.kernel("6.1").payload)
        let payload = try content.withUnsafeBytes {
            try Payload.compress($0, with: format, options: .init(level: format == .zstd ? 3 : nil, threads: 2))
        }
        let rule = InitSize(zoEnd: 0, zoHeadEnd: 0, inputLength: UInt64(payload.count),
                            outputLength: UInt64(content.count), kernelSize: 0)
        let inputStart = Int(rule.minimumExtractOffset)
        var workspace = [UInt64](repeating: 0, count: max(format.workspaceSize, 8) / 8 + 1)
        let bodyLength = payload.count - format.sizeTrailerLength

        // 1. The boot layout itself.
        var buffer = [UInt8](repeating: 0, count: inputStart + payload.count)
        buffer.replaceSubrange(inputStart..<buffer.count, with: payload)
        var result: Result<Int, DecodeError> = .success(0)
        buffer.withUnsafeMutableBytes { raw in
            workspace.withUnsafeMutableBytes { ws in
                let input = UnsafeRawBufferPointer(rebasing: raw[inputStart..<inputStart + bodyLength])
                let output = UnsafeMutableRawBufferPointer(rebasing: raw[0..<content.count])
                result = Result { () throws(DecodeError) in try format.decode(input, into: output, workspace: ws) }
            }
        }
        #expect(try result.get() == content.count)
        #expect(Array(buffer[0..<content.count]) == content)

        // 2. The input apart, its reports mapped into the boot layout, poisoned as the output passes over it there.
        var poisoned = Array(payload[0..<bodyLength])
        var output = [UInt8](repeating: 0, count: content.count)
        var watch: LayoutWatch?
        poisoned.withUnsafeMutableBytes { copy in
            output.withUnsafeMutableBytes { output in
                workspace.withUnsafeMutableBytes { ws in
                    let input = UnsafeRawBufferPointer(copy)
                    let observer = LayoutWatch(input: input, output: output, inputStart: inputStart, poisoning: copy)
                    watch = observer
                    result = DecodeProgress.observing(observer.observe) {
                        Result { () throws(DecodeError) in try format.decode(input, into: output, workspace: ws) }
                    }
                }
            }
        }
        #expect(try result.get() == content.count)
        #expect(output == content)
        let seen = try #require(watch)
        #expect(seen.firstViolation == nil, "the output passed the input: \(String(describing: seen.firstViolation))")
        #expect(seen.minimumSlack >= 0)
        // Reports came up to the end of the output (LZ4's last literal run follows its last report)...
        #expect(seen.reports >= 2)
        #expect(seen.lastWritten > content.count - 4096)
        // ...so all the input but the margin was poisoned before decoding ended.
        let margin = inputStart + payload.count - content.count
        #expect(seen.poisoned > bodyLength - margin - 4096)
        print("in place, \(format.name): \(seen.reports) progress reports, minimum slack \(seen.minimumSlack) bytes "
              + "(at single reports \(seen.minimumPointSlack)); init_size margin \(margin)")
    }
}

/// Checks progress reports against the boot layout: output at offset 0, input at `inputStart` of one buffer.
/// Used only on the decoding thread.
final class LayoutWatch: @unchecked Sendable {
    let input: UnsafeRawPointer, output: UnsafeRawPointer
    let inputStart: Int
    /// The input copy to invert as the output passes over where it would lie, or nil in the real layout.
    let poisoning: UnsafeMutableRawBufferPointer?
    private var previousRead: Int
    private(set) var reports = 0
    /// The smallest distance between a written end and the read position it must stay behind.
    private(set) var minimumSlack = Int.max
    /// The same at single reports only (without the previous report's read position).
    private(set) var minimumPointSlack = Int.max
    private(set) var firstViolation: (read: Int, written: Int)?
    private(set) var lastWritten = 0
    /// Input bytes inverted so far.
    private(set) var poisoned = 0

    init(input: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, inputStart: Int,
         poisoning: UnsafeMutableRawBufferPointer?)
    {
        self.input = input.baseAddress!
        self.output = UnsafeRawPointer(output.baseAddress!)
        self.inputStart = inputStart
        self.poisoning = poisoning
        previousRead = inputStart
    }

    func observe(read: UnsafeRawPointer, written: UnsafeRawPointer) {
        let read = inputStart + input.distance(to: read), written = output.distance(to: written)
        let bound = min(read, previousRead)
        reports += 1
        minimumSlack = min(minimumSlack, bound - written)
        minimumPointSlack = min(minimumPointSlack, read - written)
        if written > bound && firstViolation == nil { firstViolation = (bound, written) }
        previousRead = read
        lastWritten = max(lastWritten, written)
        if let poisoning {
            let end = min(written - inputStart, poisoning.count)
            while poisoned < end {
                poisoning[poisoned] = ~poisoning[poisoned]
                poisoned += 1
            }
        }
    }
}
