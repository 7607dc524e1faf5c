import BootImage
import Foundation
import StubCore

/// One format's freestanding stub mapped executable in this process, to call its C entry points.
final class LoadedStub {
    let memory: UnsafeMutableRawPointer
    let size: Int
    typealias LZ4Legacy = @convention(c) (UnsafeRawPointer, Int, UnsafeMutableRawPointer, Int) -> Int
    typealias Boot = @convention(c) (UnsafeRawPointer, Int, UnsafeMutableRawPointer, Int, UnsafeMutableRawPointer,
                                     UnsafeRawPointer) -> Int
    /// `stub_lz4_legacy` (the lz4 stub only).
    let lz4Legacy: LZ4Legacy?
    /// `stub_boot_<format>`.
    let boot: Boot

    init(_ format: PayloadFormat) throws {
        let stub = Stub.forFormat(format)
        size = (stub.memorySize + 4095) & ~4095
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED else { throw MapError() }
        stub.bytes.withUnsafeBytes { mapped.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        memory = mapped
        lz4Legacy = stub.entries["stub_lz4_legacy"].map { unsafeBitCast(mapped + $0, to: LZ4Legacy.self) }
        boot = unsafeBitCast(mapped + stub.bootEntry, to: Boot.self)
    }

    deinit { munmap(memory, size) }
}

struct MapError: Error {}
