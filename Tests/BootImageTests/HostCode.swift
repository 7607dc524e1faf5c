import Foundation
import StubAsm
#if canImport(Glibc)
import Glibc
#endif

/// Machine code assembled by StubAsm, copied into a fresh read-write-execute mapping of its own and called on the
/// host: the boot code's routines that need no privilege (command-line scans, hex digits, the output address,
/// KASLR's choice, the page-table fill) run here for real. The mapping is the image's origin, so RIP-relative
/// data works as at boot.
final class HostCode {
    let base: UnsafeMutableRawPointer
    let size: Int

    /// Maps `size` bytes and assembles `build` at their address (it gets the origin to assemble for).
    init(size: Int = 1 << 20, _ build: (UInt64) throws -> [UInt8]) throws {
        self.size = size
        guard let mapping = mmap(nil, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapping != MAP_FAILED else { throw HostCodeError(description: "mmap failed: errno \(errno)") }
        base = mapping
        let code = try build(UInt64(UInt(bitPattern: mapping)))
        precondition(code.count <= size, "the code outgrew its mapping")
        code.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    deinit { munmap(base, size) }

    /// Calls the System V function at `offset` with up to three integer arguments.
    func call(_ offset: Int, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0) -> UInt64 {
        typealias Function = @convention(c) (UInt64, UInt64, UInt64) -> UInt64
        return unsafeBitCast(base + offset, to: Function.self)(a, b, c)
    }

    func load<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T { base.loadUnaligned(fromByteOffset: offset, as: T.self) }
}

struct HostCodeError: Error, CustomStringConvertible {
    let description: String
}
