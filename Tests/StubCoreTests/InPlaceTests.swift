import Compressors
import SetupHeader
import StubCore
import Testing
import TestSupport

/// Decoding in place as at boot: the compressed payload sits at the init_size formula's extract offset inside
/// the very buffer the output fills from its start.
@Suite struct InPlaceTests {
    @Test(arguments: [Algorithm.lz4, .gzip, .bzip2, .lzma, .xz, .lzo, .zstd])
    func decodesInPlace(algorithm: Algorithm) throws {
        let content = try Fixtures.bytes(try Fixtures.kernel("6.1").payload)
        let payload = try content.withUnsafeBytes {
            try Payload.compress($0, with: algorithm, options: .init(level: algorithm == .zstd ? 3 : nil, threads: 2))
        }
        let rule = InitSize(zoEnd: 0, zoHeadEnd: 0, inputLength: UInt64(payload.count),
                            outputLength: UInt64(content.count), kernelSize: 0)
        let inputStart = Int(rule.minimumExtractOffset)
        var buffer = [UInt8](repeating: 0, count: inputStart + payload.count)
        buffer.replaceSubrange(inputStart..<buffer.count, with: payload)
        let format = PayloadFormat(rawValue: [Algorithm.lz4, .gzip, .bzip2, .lzma, .xz, .lzo, .zstd].firstIndex(of: algorithm)!)!
        var workspace = [UInt64](repeating: 0, count: max(format.workspaceSize, 8) / 8 + 1)
        let bodyLength = payload.count - (algorithm.appendsSizeTrailer ? 4 : 0)
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
    }
}
