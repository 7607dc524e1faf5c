// swift-tools-version: 6.1
// mkbzimage: turns an x86-64 vmlinux into a bootable bzImage the way the kernel's build does, in one Swift binary.
import PackageDescription

let package = Package(
    name: "mkbzimage",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mkbzimage", targets: ["mkbzimage"]),
        .library(name: "ElfKit", targets: ["ElfKit"]),
        .library(name: "SetupHeader", targets: ["SetupHeader"]),
        .library(name: "Compressors", targets: ["Compressors"]),
        .library(name: "StubAsm", targets: ["StubAsm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // ELF64 reader, objcopy-exact strip, relocs-exact relocation table. The ELF64 record layout and the
        // relocation table's format are StubCore's, where the boot stub (compiled from StubCore alone) reads them.
        .target(name: "ElfKit", dependencies: ["StubCore"]),
        // Boot protocol 2.15 setup header and kernel_info (issue: SetupHeader). Recognises payloads and computes
        // the image's CRC-32 with StubCore's (the code the stub runs), so each is written once.
        .target(name: "SetupHeader", dependencies: ["StubCore"]),
        // The kernel's seven payload formats over Debian's C libraries; the formats themselves are StubCore's
        // `PayloadFormat`.
        .target(name: "Compressors", dependencies: ["StubCore", "CDeflate", "CBzip2", "CLzma", "CLzo", "CLZ4", "CZstd"]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CLzma", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CLzo", pkgConfig: "lzo2", providers: [.apt(["liblzo2-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // x86 assembler for our own boot code.
        .target(name: "StubAsm"),
        // The code that runs at boot (decoders, ELF placement, relocation), in Embedded-Swift-compatible Swift:
        // compiled for the host here (tests, extract) and freestanding by the StubBuilder plugin.
        .target(name: "StubCore"),
        // Compiles StubCore freestanding during `swift build` and embeds the bytes in BootImage.
        .plugin(name: "StubBuilder", capability: .buildTool(), dependencies: ["stub-embed"]),
        .executableTarget(name: "stub-embed", dependencies: ["ElfKit", "StubCore"]),
        // Our boot code and image layout; carries the stub built by the plugin.
        .target(name: "BootImage", dependencies: ["StubAsm", "SetupHeader", "StubCore"], plugins: ["StubBuilder"]),
        .executableTarget(
            name: "mkbzimage",
            dependencies: [
                "ElfKit", "SetupHeader", "Compressors", "StubAsm", "BootImage", "StubCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "elf-info", dependencies: ["ElfKit"], path: "Examples/elf-info"),
        // Host throughput of StubCore's decoders against the C libraries (scripts/bench-decoders).
        .executableTarget(name: "bench-decoders", dependencies: ["StubCore", "Compressors"],
                          path: "Benchmarks/DecoderThroughput"),
        // Locates the fixtures (Tests/Fixtures, the fetched Debian kernels) and runs the CLI for the tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ElfKitTests", dependencies: ["ElfKit", "TestSupport"]),
        .testTarget(name: "StubAsmTests", dependencies: ["StubAsm"]),
        .testTarget(name: "BootImageTests", dependencies: ["BootImage", "SetupHeader", "StubCore", "StubAsm", "Compressors",
                                                           "ElfKit", "TestSupport"]),
        .testTarget(name: "StubCoreTests", dependencies: ["StubCore", "BootImage", "ElfKit", "Compressors", "TestSupport"]),
        .testTarget(name: "SetupHeaderTests", dependencies: ["SetupHeader", "TestSupport"]),
        .testTarget(name: "CompressorsTests", dependencies: ["Compressors", "TestSupport"]),
        .testTarget(name: "mkbzimageTests", dependencies: ["ElfKit", "Compressors", "SetupHeader", "TestSupport"]),
    ]
)
