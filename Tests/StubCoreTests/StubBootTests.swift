import BootImage
import Compressors
import ElfKit
import Foundation
import StubCore
import Testing
import TestSupport

/// `stub_boot_<format>` in the freestanding stub binaries, run on the host: check, decode, place the segments,
/// relocate.
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
            ? try Fixtures.rawPayload(ofImage: kernel.vmlinuz)
            : try content.withUnsafeBytes { try Payload.compress($0, with: algorithm, options: .init(level: algorithm == .zstd ? 3 : nil, threads: 2)) }
        let capacity = content.count + (8 << 20)
        let delta: Int64 = 0x600_0000
        let (status, output) = Self.boot(try LoadedStub(format), payload: payload, parameters: BootParameters(
            outputLength: content.count, format: format.rawValue, loadAddress: Self.loadAddress, delta: delta,
            inverseTable: 1, payloadDigest: PayloadCheck.digest(payload)), capacity: capacity)
        #expect(status == 0, "stub_boot returned \(status)")  // Debian's e_entry is the load address
        #expect(output == (try Self.reference(content, delta: delta, capacity: capacity)))
    }

    /// Each format's stub: its entry name, and the StubCore type (as Swift mangles it after `8StubCore`) whose
    /// code is that format's decoder and no other's.
    static let stubs: [(format: PayloadFormat, name: String, decoder: String)] = [
        (.lz4, "lz4", "3LZ4"), (.gzip, "gzip", "7Inflate"), (.bzip2, "bzip2", "5Bzip2"), (.lzma, "lzma", "9LZMAAlone"),
        (.xz, "xz", "2XZ"), (.lzo, "lzo", "3LZO"), (.zstd, "zstd", "4Zstd"),
    ]

    /// Each stub is entered at its own format's `stub_boot_<format>`, and the linker kept no other format's entry:
    /// the C entry points embedded with it are exactly its own.
    @Test func eachStubIsEnteredAtItsOwnFormatsEntry() throws {
        for (format, name, _) in Self.stubs {
            let stub = Stub.forFormat(format)
            let entry = try #require(stub.entries["stub_boot_\(name)"], "the \(name) stub has no stub_boot_\(name)")
            #expect(stub.bootEntry == entry, "the \(name) stub is entered at \(stub.bootEntry), not stub_boot_\(name)")
            let expected: Set = name == "lz4" ? ["stub_boot_lz4", "stub_lz4_legacy"] : ["stub_boot_\(name)"]
            #expect(Set(stub.entries.keys) == expected, "the \(name) stub: \(stub.entries.keys.sorted())")
            #expect(stub.bytes.count < 16 * 1024, "the \(name) stub is \(stub.bytes.count) bytes")
        }
    }

    /// Each stub holds its own format's decoder only: the functions in the ELF the plugin linked it from (checked
    /// to be the stub embedded, byte for byte) include code of its decoder's type and none of another format's.
    @Test func eachFormatsStubLinksOneDecoder() throws {
        for (format, name, decoder) in Self.stubs {
            let functions = try Self.linkedFunctions(of: format, name: name)
            func hasCode(of type: String) -> Bool { functions.contains { $0.contains("8StubCore\(type)O") } }
            #expect(hasCode(of: decoder), "the \(name) stub has no code of its decoder (\(decoder)): \(functions.sorted())")
            for (_, other, otherDecoder) in Self.stubs where other != name {
                #expect(!hasCode(of: otherDecoder), "the \(name) stub carries the \(other) decoder (\(otherDecoder))")
            }
        }
    }

    /// The names of the functions (STT_FUNC) in `stub-<name>.elf`, the StubBuilder plugin's link of the stub, after
    /// checking that its loaded bytes and C entry points are the stub BootImage carries.
    static func linkedFunctions(of format: PayloadFormat, name: String) throws -> [String] {
        // The test bundle is in <scratch>/<triple>/<configuration>/; the plugin's outputs in
        // <scratch>/plugins/outputs/<package>/BootImage/destination/StubBuilder/.
        var scratch = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while scratch.path != "/",
              !FileManager.default.fileExists(atPath: scratch.appendingPathComponent("plugins/outputs").path) {
            scratch = scratch.deletingLastPathComponent()
        }
        let outputs = scratch.appendingPathComponent("plugins/outputs")
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: outputs.path)) ?? []).map {
            outputs.appendingPathComponent("\($0)/BootImage/destination/StubBuilder/stub-\(name).elf").path
        }.filter { FileManager.default.fileExists(atPath: $0) }
        let stub = Stub.forFormat(format)
        for path in candidates {
            let elf = try ELFFile(path: path)
            let loads = elf.programHeaders.filter { $0.type == ELF.SegmentType.load }
            var image = [UInt8](repeating: 0, count: Int(loads.map { $0.virtualAddress + $0.fileSize }.max() ?? 0))
            for segment in loads where segment.fileSize > 0 {
                image.replaceSubrange(Int(segment.virtualAddress)..<Int(segment.virtualAddress + segment.fileSize),
                                      with: elf.bytes.buffer[Int(segment.offset)..<Int(segment.offset + segment.fileSize)])
            }
            guard image == stub.bytes else { continue }  // another build's
            let symbols = try #require(try elf.symbolTable(), "\(path) has no symbol table")
            var functions: [String] = [], entries: [String: Int] = [:]
            for index in 0..<symbols.count {
                let symbol = try symbols.symbol(index, referencedBy: "symbol")
                let symbolName = try symbols.name(of: symbol, at: index)
                if symbol.info & 0xF == 2 { functions.append(symbolName) }  // STT_FUNC
                if symbolName.hasPrefix("stub_") { entries[symbolName] = Int(symbol.value) }
            }
            #expect(entries == stub.entries, "\(path): \(entries) against the embedded \(stub.entries)")
            return functions
        }
        throw TestFailure(description: "no stub-\(name).elf with the embedded \(name) stub's bytes under \(outputs.path) "
                          + "(looked at \(candidates))")
    }

    /// A damaged LZ4 payload has no checksum of its own: the digest recorded in the image catches it before decoding.
    @Test func aDamagedPayloadFailsTheImagesDigest() throws {
        let kernel = try Fixtures.kernel("6.1")
        let content = try Fixtures.bytes(kernel.payload)
        let payload = try Fixtures.rawPayload(ofImage: kernel.vmlinuz)
        var damaged = payload
        for i in 0..<16 { damaged[damaged.count / 2 + i] ^= 0xFF }
        let parameters = BootParameters(outputLength: content.count, format: PayloadFormat.lz4.rawValue,
                                        loadAddress: Self.loadAddress, delta: 0, inverseTable: 1,
                                        payloadDigest: PayloadCheck.digest(payload))
        let stub = try LoadedStub(.lz4)
        let (status, output) = Self.boot(stub, payload: damaged, parameters: parameters, capacity: content.count + (8 << 20))
        #expect(BootFailure(status: status) == .payloadDamaged)
        #expect(output.allSatisfy { $0 == 0 }, "the stub decoded a payload that failed its check")
        // And a payload of another format than the stub decodes is refused, not misread.
        var other = parameters
        other.format = PayloadFormat.gzip.rawValue
        #expect(BootFailure(status: Self.boot(stub, payload: payload, parameters: other, capacity: content.count).0) == .wrongFormat)
    }

    /// With a good digest (the damage made before recording it), the decoder's own checks still stop it.
    @Test func aDamagedGzipStreamIsADecodeFailure() throws {
        let kernel = try Fixtures.kernel("6.1")
        let content = try Fixtures.bytes(kernel.payload)
        var payload = try content.withUnsafeBytes { try Payload.compress($0, with: .gzip) }
        for i in 0..<16 { payload[5_000_000 + i] ^= 0x55 }
        let (status, _) = Self.boot(try LoadedStub(.gzip), payload: payload, parameters: BootParameters(
            outputLength: content.count, format: PayloadFormat.gzip.rawValue, loadAddress: Self.loadAddress, delta: 0,
            inverseTable: 1, payloadDigest: PayloadCheck.digest(payload)), capacity: content.count + (8 << 20))
        let failure = try #require(BootFailure(status: status))
        #expect([.truncated, .badHeader, .badOffset, .outputOverflow, .sizeMismatch, .checksum].contains(failure), "\(failure)")
    }

    /// The payload check is XXH64 with seed 0: the published test values, and the same digest as zstd's content
    /// checksum computes in one pass (lengths around the 32-byte stripe and 8-byte word boundaries).
    @Test func thePayloadDigestIsXXH64() throws {
        #expect(PayloadCheck.digest([]) == 0xEF46_DB37_51D8_E999)
        #expect(PayloadCheck.digest(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(PayloadCheck.digest(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        var generator = SeededGenerator(seed: 7)
        let bytes = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var seen = Set<UInt64>()
        for length in [1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 1000, 65_537, 70_000] {
            let slice = Array(bytes.prefix(length))
            let digest = PayloadCheck.digest(slice)
            #expect(digest == slice.withUnsafeBytes { Zstd.xxh64($0) })
            seen.insert(digest)
        }
        #expect(seen.count == 13)
    }
}
