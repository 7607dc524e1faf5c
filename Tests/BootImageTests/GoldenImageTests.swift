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
        "lz4": "4156ae351ea0740bdb10670c0464aa0e2c19635d201e1434d0232479304f267a",
        "gzip": "be3e5f33cd5596360409250fa874bff732af5f276cf59b82e46b261c09ece458",
        "bzip2": "6f49a12ae5bc0216c578c53ad8fe4ca65cc5365e66ed1e1de99f0770c3f063bc",
        "lzma": "3a593659660a205d53260cb388d00e7773ec1e82651a9d9d600bbff7bf5ffdc1",
        "xz": "858027d50df9442fec82b19cfd0c9c53f709e307065fdb1d945a223e463d1f4d",
        "lzo": "433f059e09bf1b054bba17804bdf68f531269d6796c2c08092ead9fbe3b0de3a",
        "zstd": "725afea191cc03a32a610d018a70087a007d04c779392f6e1b1b533906cc1698",
    ]

    /// `mkbzimage build` of Debian's 6.1 cloud vmlinux (the pinned ABI fetch-fixtures takes): EFI images.
    static let debian61: [String: String] = [
        "lz4": "97af049cf9ac3c3753522b98d40401503fba5c03eac4b6ec2b51b8d790efebc4",
        "gzip": "cc0308c477275184a1988b6c68ca19ad38b5274229b0237eb35696273623e2ca",
        "bzip2": "1df1652e3e7d5fecc7d429716207107b99354a7ca8e4ff8b6371e7fff0048f2c",
        "lzma": "1e1da19d9e4c4c5fe1753d72efe6406d37643fab6ed52bd41164b9ab947da9c6",
        "xz": "55cb92c04ae372e668811310e874172e4f3c554841abcd773beb49580111a2e0",
        "lzo": "e5808220c204edccd1c63db0b8ca3acd9617f4bb6a4e76fd18f354cd10fa148b",
        "zstd": "a0f27048240f904864f7bf8a77cb1dff9242680f56a4505dc8c011a0d6fa2778",
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
    static let debian61NoEFI = ["lz4": "93b35819bd2ee1829343e02e68dae7e2a800b8318c13266a768068e2558c92f5"]

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
