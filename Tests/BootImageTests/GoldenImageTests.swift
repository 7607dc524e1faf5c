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
        "lz4": "2f445cd50c3739180bd1472d7a38a657458b763f0f5d4a7a2adf369667663c38",
        "gzip": "01c4b6bcd98969f4a33975a8c79f54a5c69083ff7bc4b975dca0ef017affaa52",
        "bzip2": "7a535417e14853082bd2a5ef42916182dc5863b783553292f8219b0455c1cc9f",
        "lzma": "6efabaedaea8c1b7cb4c30d91a8a4cbf7d1cac7ef9298ca326b12fbc3a33f4d9",
        "xz": "d5aaefe83be25d1c53bce3f3ed7087cd40297a2027be76f787364c23378a91f5",
        "lzo": "88028d9db65443f49722967765cae4ab4e3ebf5018f9fd6c0c12e08e045963b0",
        "zstd": "dd7f70121d7fcc0f36d2ba8d85133291834046fa8f50f95a647c2fdcd4e519bb",
    ]

    /// `mkbzimage build` of Debian's 6.1 cloud vmlinux (the pinned ABI fetch-fixtures takes): EFI images.
    static let debian61: [String: String] = [
        "lz4": "9d221d8edcdb8108915c092478d5a459dc73b50f250442389444ed893b1b1f45",
        "gzip": "9d88278a138d532022d904db3876e87d22146cec49d90df857b2b2ce228f9672",
        "bzip2": "ec6a47b428169effade3d8beb86217fb4dc2a747f246bc0e3341f8dc4ee4d73e",
        "lzma": "0342d9d3ce9c828c70accdaa1eb25078784e175d854d667ef34fa7a81b340fde",
        "xz": "430acf44e42237423fc1e7a71ee05caf098f31993c615a26bc169f21e705c4fb",
        "lzo": "a516813b2518bc898c0e85d69045c7dac7ec8ad24cd5aab8bd3434a83441430c",
        "zstd": "afcd0deadc6044da120bcbc29c8c766b2e9990d9229d57f8ce61ba509a24f141",
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

    /// `--no-efi`: the BIOS- and kexec-only image, as before the EFI entry.
    static let debian61NoEFI = ["lz4": "f882c0de7887380c0b55aa43a1db10b0b151c4276846f7dc1fdeeab7e0347f47"]

    @Test func debian61ImageWithoutEFI() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let built = try CommandRunner.run(["build", kernel.vmlinux, "--compress", "lz4", "--no-efi", "-o", dir.file("bzImage")])
        #expect(built.status == 0, "\(built.stderr)")
        Self.check("6.1 --no-efi", "lz4", try sha256(ofFile: dir.file("bzImage")), Self.debian61NoEFI)
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
