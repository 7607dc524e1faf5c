import ArgumentParser
import ElfKit

/// Where the relocation table comes from: collected from vmlinux, or a file from the kernel's build tree.
struct RelocsSource: ParsableArguments {
    @Option(name: .customLong("relocs"), help: ArgumentHelp(
        "Use this relocation table (the build tree's arch/x86/boot/compressed/vmlinux.relocs).",
        valueName: "FILE"))
    var relocsFile: String?

    @Option(help: "Reproduce the relocs tool of this kernel release (default: from vmlinux's linux_banner).")
    var kernelVersion: String?

    func validate() throws { try validateKernelVersion(kernelVersion) }

    /// The relocation table's bytes for `elf`.
    func table(for elf: ELFFile, path: String) throws -> [UInt8] {
        if let relocsFile {
            let file: MappedFile
            do { file = try MappedFile(path: relocsFile) } catch { throw Failure(relocsFile, error) }
            let bytes = Array(file.bytes.buffer)
            // A table is little-endian words that start with a zero word: at least "0, 0" (6.15+).
            guard bytes.count >= 8, bytes.count % 4 == 0, bytes.prefix(4).allSatisfy({ $0 == 0 }) else {
                throw Failure(relocsFile, "not a relocation table (expected little-endian u32 words starting with 0)")
            }
            return bytes
        }
        return try collectRelocations(elf, path: path, kernelVersion: kernelVersion)
    }
}

func validateKernelVersion(_ version: String?) throws {
    if let version, RelocsRules(version: version) == nil {
        throw ValidationError("--kernel-version '\(version)' is not a kernel release like 6.1 or 6.15")
    }
}

/// The table the kernel's relocs tool of `kernelVersion` (default: vmlinux's own release) would write.
func collectRelocations(_ elf: ELFFile, path: String, kernelVersion: String?) throws -> [UInt8] {
    let rules = kernelVersion.flatMap(RelocsRules.init(version:)) ?? RelocationTable.rules(for: elf) ?? .linux6_1
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
    let table = try relocs.table(for: elf, path: vmlinux)
    var bytes = [UInt8]()
    bytes.reserveCapacity(stripped.size + table.count)
    stripped.forEachChunk { bytes.append(contentsOf: $0) }
    bytes += table
    let relocations = table.withUnsafeBytes { raw in
        (0..<raw.count / 4).reduce(0) { $0 + (raw.loadUnaligned(fromByteOffset: $1 * 4, as: UInt32.self) != 0 ? 1 : 0) }
    }
    return (bytes, relocations)
}
