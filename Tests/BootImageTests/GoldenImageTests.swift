import BootImage
import Compressors
import Foundation
import StubCore
import Testing
import TestSupport

/// The bytes of whole images, pinned: a change to the boot code's source that is meant to be a reshuffle (a
/// stage moved to its own file, a constant named) must leave every image the same. A change that is meant to
/// alter the boot code updates these digests in its own commit, saying why.
/// (`MKBZIMAGE_PRINT_GOLDEN=1 swift test --filter GoldenImageTests` prints the current ones.)
@Suite struct GoldenImageTests {
    static let printOnly = ProcessInfo.processInfo.environment["MKBZIMAGE_PRINT_GOLDEN"] != nil

    /// Synthetic kernel-shaped input (the committed tiny-vmlinux, a fake relocation table), every format.
    static let tiny: [String: String] = [
        "lz4": "f580aeb1b4c44148e774ff170cd672385def6ec3f5dfa2d013428f2a7f163af3",
        "gzip": "86fb5562bfb83ad87cbaf5a71da3a5c8f077195b27860af5be140fdd3be55f9a",
        "bzip2": "c06a9ec986c379a8f13a3c86ff878e97bddae5af1ff54ab3e497b2e0e968ad1c",
        "lzma": "2748b60480adeea03a96ba9a0ebfe65a581348bac1b6a442399d2b3249ff2f0e",
        "xz": "763886b660fa1e4b6d8ee09f2c3076554ee503463660263735da8bad8587bbc7",
        "lzo": "f5e4a47abd01344798ce7c1c1accc31f37abb08281e4ebefa40f95ebd47c498f",
        "zstd": "418d22c7738f9b953639f6016d3aa6d00ccadaef4b3c100f7fb97b9c97535f1c",
    ]

    /// `mkbzimage build` of Debian's 6.1 cloud vmlinux (the pinned ABI fetch-fixtures takes).
    static let debian61: [String: String] = [
        "lz4": "da75a8783916e311a97cf8ffe2c0fb9bc4aafd92fdf543e429aa87ed51a994d8",
        "gzip": "332a31d14338f8d7de5879f2c60d6c24515ba551ddc1ff0f7219a749b4f65823",
        "bzip2": "48e213854ab660443b2632f787b9cde297aedb3cfbfc2bb7140b1360b92322de",
        "lzma": "18f1b71d04b9298143631d73014a8c4c17fa6790c834f19177f0396a07110c4c",
        "xz": "b686170930d9e794fc8ad13b2779eae48402f50f9fbd861f4cbf6404436add27",
        "lzo": "86d438b88d526f6c4d92784a0c0354eaa17d42af9152ff5df590a9dc77f9742a",
        "zstd": "88e5b69f0a6cc57e07064642ac30ec450f6bfb784842bec7c2948a1286092049",
    ]

    static func check(_ kind: String, _ format: String, _ digest: String, _ expected: [String: String]) {
        if printOnly { print("golden \(kind) \"\(format)\": \"\(digest)\","); return }
        #expect(digest == expected[format], "the \(kind) \(format) image changed: \(digest)")
    }

    @Test(arguments: ["lz4", "gzip", "bzip2", "lzma", "xz", "lzo", "zstd"])
    func tinyImage(format: String) throws {
        let algorithm = try #require(PayloadFormat(name: format))
        // tiny-vmlinux's bytes as the "stripped kernel", then a 6.1-style table: 0, one R64, 0, one INV32, 0, one R32.
        var content = try Fixtures.bytes(Fixtures.tinyVmlinux)
        content += RelocationTableLayout.encode(r64: [0x8100_0010], inverse32: [0x8100_0020], r32: [0x8100_0030])
        let payload = try content.withUnsafeBytes { try Payload.compress($0, with: algorithm) }
        let input = KernelImageInput(payload: payload, format: algorithm,
                                     outputLength: content.count, kernelSize: 0x180_0000, loadAddress: 0x100_0000,
                                     alignment: 0x20_0000, inverseTable: true,
                                     kernelVersion: "6.1.0-tiny (test@example) #1 SMP", randomizable: true)
        Self.check("tiny", format, try sha256(try BootImageWriter.build(input)), Self.tiny)
    }

    @Test(arguments: ["lz4", "gzip", "bzip2", "lzma", "xz", "lzo", "zstd"])
    func debian61Image(format: String) throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let built = try CommandRunner.run(["build", kernel.vmlinux, "--compress", format, "-o", dir.file("bzImage")])
        #expect(built.status == 0, "\(built.stderr)")
        Self.check("6.1", format, try sha256(ofFile: dir.file("bzImage")), Self.debian61)
    }
}
