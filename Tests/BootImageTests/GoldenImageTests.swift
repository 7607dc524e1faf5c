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
        "lz4": "f9131935e628b0e44694f1095d2efd47ca3cc7cac86af02f7f8a6d6f8c98b924",
        "gzip": "deeeb9ca1c73cf22fc068a29243028415d17cefbdb0e881d6941162aa1bf3b25",
        "bzip2": "a68220747eb46af1e545498f466f9b3f7c3f952f705f81fe86a747ad1a280cff",
        "lzma": "983c63ceba4d7166af886740a5d623f5ebbbff901e43334b8ba10c0363572470",
        "xz": "6b8f5dd2129bf7e22d94ffa6f295fad5b2f5be5a48d5d9c615e79eb178bd4e14",
        "lzo": "8370c2e1f81eb82082b77622eae7f406a721a2c52894b82193f40c86779fd384",
        "zstd": "a77d50028e978c87942156563c49a38741c2713fba5cdaab8a4d2d08b99c006f",
    ]

    /// `mkbzimage build` of Debian's 6.1 cloud vmlinux (the pinned ABI fetch-fixtures takes).
    static let debian61: [String: String] = [
        "lz4": "508a7c3ae2977e69bc84282f8e10e0ef3fa5980a5df1bab962e34808c55b8a1e",
        "gzip": "41c44261921b0e98783bcdde1216259672d8a337cdc381a6f8ae2226140bde45",
        "bzip2": "42b967937511da6123df861073c1c14ad371583cae5295693ae0dace5486b7a1",
        "lzma": "b08260243af04db65e5e790ef2388a234cf524c69e8400bea9c2adb6541bc651",
        "xz": "0a6d4340b16a02d4dd6d6d13bacc8efa1b1ff50aa6c4ce8c1c777e6c853abac4",
        "lzo": "7019dd3152160960a0ba2dbbe6e8d133cb822c459a529dc8343add4992d0ade0",
        "zstd": "a7436afb839e5c873378141dae9bba765cf27483830bb624cce13aa925d37925",
    ]

    static func check(_ kind: String, _ format: String, _ digest: String, _ expected: [String: String]) {
        if printOnly { print("golden \(kind) \"\(format)\": \"\(digest)\","); return }
        #expect(digest == expected[format], "the \(kind) \(format) image changed: \(digest)")
    }

    @Test(arguments: ["lz4", "gzip", "bzip2", "lzma", "xz", "lzo", "zstd"])
    func tinyImage(format: String) throws {
        let algorithm = try #require(Algorithm(rawValue: format))
        // tiny-vmlinux's bytes as the "stripped kernel", then a 6.1-style table: 0, one R64, 0, one INV32, 0, one R32.
        var content = try Fixtures.bytes(Fixtures.tinyVmlinux)
        for word: UInt32 in [0, 0x8100_0010, 0, 0x8100_0020, 0, 0x8100_0030] { withUnsafeBytes(of: word.littleEndian) { content += $0 } }
        let payload = try content.withUnsafeBytes { try Payload.compress($0, with: algorithm) }
        let input = KernelImageInput(payload: payload, format: try #require(PayloadFormat(named: format)),
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

extension PayloadFormat {
    /// The format `--compress` names (tests only).
    init?(named name: String) {
        guard let format = ["lz4", "gzip", "bzip2", "lzma", "xz", "lzo", "zstd"].firstIndex(of: name) else { return nil }
        self.init(rawValue: format)
    }
}
