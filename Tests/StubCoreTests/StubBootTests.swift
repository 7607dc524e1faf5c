import Compressors
import ElfKit
import Foundation
import StubCore
import Testing
import TestSupport

/// `stub_boot` in the freestanding stub binary, run on the host: decode, place the segments, relocate.
@Suite struct StubBootTests {
    static let loadAddress: UInt64 = 0x100_0000

    /// Runs the stub's entry on `payload` and returns (status, output buffer).
    static func boot(_ stub: LoadedStub, payload: [UInt8], parameters: BootParameters, capacity: Int) -> (Int, [UInt8]) {
        var output = [UInt8](repeating: 0, count: capacity)
        var workspace = [UInt64](repeating: 0, count: (3 << 20) / 2)  // 12 MiB ≥ every format's need, 8-aligned
        var block = [UInt8](repeating: 0, count: BootParameters.size)
        block.withUnsafeMutableBytes { parameters.write(to: $0.baseAddress!) }
        let status = payload.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                workspace.withUnsafeMutableBytes { ws in
                    block.withUnsafeBytes { stub.boot(input.baseAddress!, input.count, out.baseAddress!, out.count,
                                                      ws.baseAddress!, $0.baseAddress!) }
                }
            }
        }
        return (status, output)
    }

    /// The host StubCore path on the same input, as the reference.
    static func reference(_ content: [UInt8], delta: Int64, capacity: Int) throws -> [UInt8] {
        var buffer = content + [UInt8](repeating: 0, count: capacity - content.count)
        let elfSize = try ELFFile(MappedFile(bytes: content)).fileExtent
        try buffer.withUnsafeMutableBytes { buffer in
            let placed = try KernelPlacement.placeSegments(buffer, elfSize: elfSize, loadAddress: loadAddress)
            try KernelPlacement.relocate(buffer, tableEnd: content.count, kernelEnd: placed.end, loadAddress: loadAddress,
                                         delta: delta, hasInverseTable: true)
        }
        return buffer
    }

    @Test(arguments: [(Algorithm.lz4, PayloadFormat.lz4), (.gzip, .gzip), (.zstd, .zstd), (.xz, .xz)])
    func bootsTheDebian61KernelPayload(algorithm: Algorithm, format: PayloadFormat) throws {
        let kernel = try Fixtures.kernel("6.1")
        let content = try Fixtures.bytes(kernel.payload)
        let payload = algorithm == .lz4
            ? Array(try Fixtures.rawPayload(ofImage: kernel.vmlinuz).dropLast(4))
            : try content.withUnsafeBytes { try Payload.compress($0, with: algorithm, options: .init(level: algorithm == .zstd ? 3 : nil, threads: 2)) }
        let capacity = content.count + (8 << 20)
        let delta: Int64 = 0x600_0000
        let stub = try LoadedStub()
        let (status, output) = Self.boot(stub, payload: payload, parameters: BootParameters(
            outputLength: content.count, format: format.rawValue, loadAddress: Self.loadAddress, delta: delta,
            inverseTable: 1), capacity: capacity)
        #expect(status == 0, "stub_boot returned \(status)")  // Debian's e_entry is the load address
        #expect(output == (try Self.reference(content, delta: delta, capacity: capacity)))
    }

    @Test func aDamagedPayloadIsAnErrorStatus() throws {
        let kernel = try Fixtures.kernel("6.1")
        let content = try Fixtures.bytes(kernel.payload)
        var payload = try content.withUnsafeBytes { try Payload.compress($0, with: .gzip) }
        for i in 0..<16 { payload[5_000_000 + i] ^= 0x55 }
        let (status, _) = Self.boot(try LoadedStub(), payload: payload, parameters: BootParameters(
            outputLength: content.count, format: PayloadFormat.gzip.rawValue, loadAddress: Self.loadAddress, delta: 0,
            inverseTable: 1), capacity: content.count + (8 << 20))
        #expect(status < 0 && status > -100, "decode failure expected, got \(status)")
    }
}
