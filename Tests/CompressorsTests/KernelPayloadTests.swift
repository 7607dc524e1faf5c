import Compressors
import Foundation
import Testing
import TestSupport

/// The Debian 6.1 `vmlinux.bin ++ relocs` (53 MB) through each format, checked by the standard CLIs and against
/// what the kernel's own build wrote.
@Suite(.serialized) struct KernelPayloadTests {
    /// The kernel CLI's payload sizes for the Debian 6.1.0-53 input, incl. trailer (kernel-pipeline.md §C.1).
    static let cliSizes: [Algorithm: Int] = [.lz4: 14_036_019, .lzo: 12_744_098, .gzip: 10_761_559, .bzip2: 11_138_435,
                                             .zstd: 9_210_286, .lzma: 8_344_580, .xz: 7_767_876]

    static let decompressCommand: [Algorithm: String] = [
        .gzip: "gzip -dc", .bzip2: "bzip2 -dc", .lzma: "xz --format=lzma -dc", .xz: "xz -dc", .lzo: "lzop -dc",
        .lz4: "lz4 -dc", .zstd: "zstd -dc",
    ]

    @Test(arguments: Algorithm.allCases)
    func standardCLIsDecompressOurPayloads(algorithm: Algorithm) throws {
        let kernel = try Fixtures.kernel("6.1")
        let input = try Fixtures.bytes(kernel.payload)
        let payload = try input.withUnsafeBytes { try Payload.compress($0, with: algorithm, options: .init(threads: 2)) }
        #expect(payload.withUnsafeBytes { Payload.declaredSize(of: $0) } == input.count)
        if kernel.version == "6.1.0-53", let reference = Self.cliSizes[algorithm] {
            #expect(payload.count <= reference, "\(algorithm): \(payload.count) bytes, the kernel's CLI gives \(reference)")
        }
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // The CLIs object to the kernel's size trailer (all but gzip, where the last 4 bytes are gzip's ISIZE).
        try (algorithm.appendsSizeTrailer ? payload.dropLast(4) : payload[...]).write(to: dir.file("payload"))
        let command = Self.decompressCommand[algorithm]!
        #expect(try shell("\(command) < \(dir.file("payload")) | cmp -s - \(kernel.payload)") == 0,
                "\(command) does not give the input back")
    }

    @Test func lz4IsTheDebian61PayloadByteForByte() throws {
        let kernel = try Fixtures.kernel("6.1")
        let input = try Fixtures.bytes(kernel.payload)
        for threads in [1, 2] {
            let payload = try input.withUnsafeBytes { try Payload.compress($0, with: .lz4, options: .init(threads: threads)) }
            #expect(payload == (try Fixtures.rawPayload(ofImage: kernel.vmlinuz)), "threads \(threads)")
        }
    }

    @Test func bzip2AndXzAreTheKernelCommandsBytes() throws {
        let kernel = try Fixtures.kernel("6.1")
        let input = try Fixtures.bytes(kernel.payload)
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        for (algorithm, command) in [(Algorithm.bzip2, "bzip2 -9"), (.xz, "xz --check=crc32 --x86 --lzma2=,dict=32MiB")] {
            let payload = try input.withUnsafeBytes { try Payload.compress($0, with: algorithm, options: .init(threads: 2)) }
            try payload.dropLast(4).write(to: dir.file("ours"))
            #expect(try shell("\(command) < \(kernel.payload) | cmp -s - \(dir.file("ours"))") == 0,
                    "\(algorithm) differs from `\(command)`")
        }
    }
}
