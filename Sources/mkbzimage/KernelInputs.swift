import ArgumentParser
import Dispatch
import ElfKit
import StubCore

/// Where the relocation table comes from: collected from vmlinux, a file from the kernel's build tree, a bzImage of
/// the same build, or none at all.
struct RelocsSource: ParsableArguments {
    @Option(name: .customLong("relocs"), help: ArgumentHelp(
        "Use this relocation table (the build tree's arch/x86/boot/compressed/vmlinux.relocs).",
        valueName: "FILE"))
    var relocsFile: String?

    @Option(name: .customLong("relocs-from"), help: ArgumentHelp(
        "Take the relocation table from a bzImage of the same build (its kernel must be VMLINUX's).",
        valueName: "BZIMAGE"))
    var relocsImage: String?

    @Flag(name: .customLong("no-relocs"), help: ArgumentHelp(
        "Use an empty relocation table: the kernel can still be placed anywhere in physical memory, but its "
            + "virtual address is never randomised."))
    var noRelocs = false

    @Option(help: "Reproduce the relocs tool of this kernel release (default: from vmlinux's linux_banner).")
    var kernelVersion: String?

    func validate() throws {
        try validateKernelVersion(kernelVersion)
        if [relocsFile != nil, relocsImage != nil, noRelocs].filter({ $0 }).count > 1 {
            throw ValidationError("--relocs, --relocs-from and --no-relocs exclude each other")
        }
    }

    /// The relocation table's bytes for `elf`; `stripped` is `elf` as the payload holds it (a bzImage's kernel is
    /// checked against it).
    func table(for elf: ELFFile, stripped: StrippedELF, path: String) throws -> [UInt8] {
        let rules = relocsRules(for: elf, kernelVersion: kernelVersion)
        if let relocsFile {
            let file: MappedFile
            do { file = try MappedFile(path: relocsFile) } catch { throw Failure(relocsFile, error) }
            let bytes = Array(file.bytes.buffer)
            guard Self.isTable(bytes, rules: rules) else {
                throw Failure(relocsFile, "not a relocation table of the \(rules) relocs tool (little-endian u32 words "
                              + "\(RelocationTableLayout.description(hasInverseTable: rules.hasInverseTable)))")
            }
            return bytes
        }
        if let relocsImage {
            let payload = try ImagePayload(decoding: relocsImage)
            guard Self.same(stripped, payload.elf) else {
                throw Failure(relocsImage, "its kernel is not \(path) stripped (another build): its relocation "
                              + "table would not fit")
            }
            let bytes = Array(payload.table)
            guard Self.isTable(bytes, rules: rules) else {
                throw Failure(relocsImage, "its payload holds no relocation table after the kernel")
            }
            return bytes
        }
        if noRelocs { return RelocationTable(rules: rules, r64: [], inverse32: [], r32: []).serialized }
        return try collectRelocations(elf, path: path, kernelVersion: kernelVersion)
    }

    /// Whether `bytes` are one relocation table in the layout of `rules`' tool, as the boot code will read it.
    static func isTable(_ bytes: [UInt8], rules: RelocsRules) -> Bool {
        bytes.withUnsafeBytes { RelocationTable(parsing: $0, rules: rules) } != nil
    }

    /// Whether `stripped` is byte for byte `bytes`.
    static func same(_ stripped: StrippedELF, _ bytes: ArraySlice<UInt8>) -> Bool {
        guard stripped.size == bytes.count else { return false }
        var at = bytes.startIndex, equal = true
        stripped.forEachChunk { chunk in
            guard equal else { return }
            equal = bytes[at..<at + chunk.count].elementsEqual(chunk)
            at += chunk.count
        }
        return equal
    }
}

func validateKernelVersion(_ version: String?) throws {
    if let version, RelocsRules(version: version) == nil {
        throw ValidationError("--kernel-version '\(version)' is not a kernel release like 6.1 or 6.15")
    }
}

/// The relocs tool generation to reproduce: `--kernel-version`'s, else vmlinux's own release (6.1's rules when its
/// banner says nothing).
func relocsRules(for elf: ELFFile, kernelVersion: String?) -> RelocsRules {
    kernelVersion.flatMap(RelocsRules.init(version:)) ?? RelocationTable.rules(for: elf) ?? .linux6_1
}

/// The table the kernel's relocs tool of `kernelVersion` (default: vmlinux's own release) would write.
func collectRelocations(_ elf: ELFFile, path: String, kernelVersion: String?) throws -> [UInt8] {
    let rules = relocsRules(for: elf, kernelVersion: kernelVersion)
    do { return try RelocationTable(collecting: elf, rules: rules).serialized } catch { throw Failure(path, error) }
}

/// `vmlinux.bin ++ vmlinux.relocs`: what the kernel's build compresses into the payload.
func uncompressedPayload(_ vmlinux: String, relocs: RelocsSource) throws -> [UInt8] {
    try uncompressedPayload(openELF(vmlinux), path: vmlinux, relocs: relocs)
}

func uncompressedPayload(_ elf: ELFFile, path vmlinux: String, relocs: RelocsSource) throws -> [UInt8] {
    try kernelPayload(elf, path: vmlinux, relocs: relocs).content
}

/// The uncompressed payload and how many relocations its table holds (none: the kernel cannot be moved in
/// virtual memory, so the boot code must not randomise it).
func kernelPayload(_ elf: ELFFile, path vmlinux: String, relocs: RelocsSource) throws -> (content: [UInt8], relocations: Int) {
    let stripped: StrippedELF
    do { stripped = try elf.stripped() } catch { throw Failure(vmlinux, error) }
    // The table (collected from vmlinux's .rela.* or read) on another core while this one copies the stripped
    // kernel: both only read the mapped file, and the copy is most of the time before compression can start.
    nonisolated(unsafe) var tableResult: Result<[UInt8], any Error> = .success([])
    let collecting = DispatchGroup()
    DispatchQueue.global().async(group: collecting) {
        tableResult = Result { try relocs.table(for: elf, stripped: stripped, path: vmlinux) }
    }
    var bytes = [UInt8]()
    bytes.reserveCapacity(stripped.size + 1 << 20)
    stripped.forEachChunk { bytes.append(contentsOf: $0) }
    collecting.wait()
    let table = try tableResult.get()
    bytes += table
    let rules = relocsRules(for: elf, kernelVersion: relocs.kernelVersion)
    let relocations = table.withUnsafeBytes { RelocationTable(parsing: $0, rules: rules)?.count ?? 0 }
    return (bytes, relocations)
}
