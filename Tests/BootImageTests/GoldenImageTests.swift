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
        "lz4": "f48039114903b9832eabdcda7cc499d3894c25949f51a10c84921905549586c9",
        "gzip": "18dd05d01449be1962eb57aee2a4142508eb2c4da502de1925a9d33b1577fdbf",
        "bzip2": "4d640d9e5b7db42f45e1e0adbf4043b887caf3f137015c978d7a590bfc27ea13",
        "lzma": "3836d77a7e009aa9b44eb6e287a4f78888fbb539971292844318577876697333",
        "xz": "f754da58da1d49e6f8bc93a5deef9a22b5ad374823fbf7d6bd0de58d91ecd95d",
        "lzo": "e16bcba4b1112ad39de342e6bbe2f137661a052a1342c9676838151ec72b96bb",
        "zstd": "bf7759b81bbc6d66442c7f8b01d4d5d0378eac19e7dafb45bec988a142447e3a",
    ]

    /// `mkbzimage build` of Debian's 6.1 cloud vmlinux (the pinned ABI fetch-fixtures takes).
    static let debian61: [String: String] = [
        "lz4": "6197857915eabda132f957a2fcb174e13945b09105251788db2eabadc1bbb33f",
        "gzip": "30f2816ec83339334b3ab0949648c9ebf2257c0927f3379999cb4222e832dcee",
        "bzip2": "0c3b531a7866a79a16071d7f34121b39f4bfa77adff5ccb68d00eb68edb99116",
        "lzma": "955d41ae40aa8bb73d61b59d31d118be7a45f778a63913f02158ae44ccf66d1d",
        "xz": "4f32020b39b8ec8aef4d8e42c6b8f4fcbd277f7342f7b2ce226e7f1d997a4429",
        "lzo": "689853fc9a37d0b69366376444a3d5079b50071ffa8f85b0f640dda5b88183a0",
        "zstd": "dc2bceff6f9367be7213a811fbd4cefaaed226b9eb6ee5717483186e9f922dfd",
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
        for word: UInt32 in [0, 0x8100_0010, 0, 0x8100_0020, 0, 0x8100_0030] { withUnsafeBytes(of: word.littleEndian) { content += $0 } }
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
