import BootImage
import Compressors
import Foundation
import SetupHeader
import StubCore
import Testing
import TestSupport

/// The image writer's header, read back through the bzImage reader as a loader reads it: every field our layout
/// and the kernel's formulas give, and no finding.
@Suite struct HeaderFieldTests {
    static func image(_ format: PayloadFormat, alignment: UInt64 = 0x20_0000, randomizable: Bool = true) throws
        -> (input: KernelImageInput, bytes: [UInt8])
    {
        let content = syntheticKernelLikeData(count: 300_000, seed: 7)
        let algorithm = try #require(Algorithm.allCases.first { "\($0)" == ["lz4", "gzip", "bzip2", "lzma", "xz", "lzo", "zstd"][format.rawValue] })
        let payload = try content.withUnsafeBytes { try Payload.compress($0, with: algorithm) }
        let input = KernelImageInput(payload: payload, format: format, outputLength: content.count, kernelSize: 0x200_0000,
                                     loadAddress: 0x100_0000, alignment: alignment, inverseTable: true,
                                     kernelVersion: "6.1.0-test (test@example) #1 SMP", randomizable: randomizable)
        return (input, try BootImageWriter.build(input))
    }

    @Test(arguments: [PayloadFormat.lz4, .gzip, .zstd])
    func fieldsReadBackAsWritten(format: PayloadFormat) throws {
        let (input, bytes) = try Self.image(format)
        let image = bytes.withUnsafeBytes { BzImage(image: $0) }
        let h = image.header
        #expect(image.findings.filter { $0.severity != .note }.isEmpty, "\(image.findings)")
        #expect(h.hasMagic && h[.boot_flag] == 0xAA55 && h.version == 0x20F)
        #expect(h.declaredHeaderEnd == SetupHeader.end)
        #expect(image.setupSize % 4096 == 0 && image.setupSize >= 5 * 512)
        #expect(image.setupSize + image.protectedModeSize == bytes.count)
        #expect(image.kernelVersion == input.kernelVersion)
        #expect(h.loadFlags == .loadedHigh)
        #expect(h.xLoadFlags == [.kernel64, .canBeLoadedAbove4G])
        #expect(h[.kernel_alignment] == input.alignment && h[.min_alignment] == 21 && h[.relocatable_kernel] == 1)
        #expect(h[.pref_address] == input.loadAddress && h[.code32_start] == 0x10_0000)
        #expect(h[.cmdline_size] == 2047 && h[.initrd_addr_max] == 0x7FFF_FFFF)
        // The payload is where the header says, byte for byte, and recognised by its magic.
        let range = try #require(image.payloadRange)
        #expect(Array(bytes[range]) == input.payload)
        #expect(image.compression == ["lz4", "gzip", "bzip2", "lzma", "xz", "lzo", "zstd"][format.rawValue])
        #expect(image.uncompressedSize == input.outputLength)
        // init_size by the kernel's formula over our layout: at least the image plus room to decompress in place.
        #expect(h[.init_size] >= UInt64(image.protectedModeSize + input.outputLength) / 2)
        #expect(h[.init_size] % 4096 == 0 && h[.init_size] >= input.kernelSize)
        #expect(image.kernelInfo == KernelInfo(setupTypeMax: KernelInfo.linuxSetupTypeMax))
        #expect(image.crcMatches)
    }

    /// kernel_alignment and min_alignment follow the kernel's alignment; the bytes are the same each time.
    @Test func alignmentAndDeterminism() throws {
        let (_, a) = try Self.image(.lz4, alignment: 0x100_0000)
        let h = a.withUnsafeBytes { BzImage(image: $0) }.header
        #expect(h[.kernel_alignment] == 0x100_0000 && h[.min_alignment] == 24)
        #expect(try Self.image(.lz4, alignment: 0x100_0000).bytes == a)
        #expect(try Self.image(.lz4, randomizable: false).bytes != (try Self.image(.lz4).bytes))
    }
}
