import ArgumentParser
import BootImage
import Compressors
import ElfKit
import StubCore

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Write a bootable bzImage for VMLINUX with our own boot code (the default command)."
    )

    @Argument(help: "The vmlinux (ELF64 x86-64).")
    var vmlinux: String

    @Option(name: .shortAndLong, help: "Output file ('-' for stdout).")
    var output: String = "bzImage"

    @Option(help: ArgumentHelp("Also write a map of our boot code: offsets into the protected-mode image.",
                               valueName: "file"))
    var map: String?

    @Flag(name: .customLong("no-kaslr"),
          help: "Never randomise the kernel's virtual address (as if every boot had `nokaslr`).")
    var noKASLR = false

    @Flag(inversion: .prefixedNo,
          help: "Make the image an EFI application too (a PE/COFF header and our EFI entry); --no-efi: BIOS and kexec entries only.")
    var efi = true

    @Option(help: ArgumentHelp("Add a .sbat section holding this file's SBAT CSV (as the kernel's CONFIG_EFI_SBAT_FILE): shim refuses to start an image it loads itself without one.",
                               valueName: "file"))
    var sbat: String?

    @OptionGroup var settings: CompressionSettings
    @OptionGroup var relocs: RelocsSource

    func validate() throws {
        if sbat != nil && !efi { throw ValidationError("--sbat makes a PE section: it needs an EFI image, not --no-efi") }
    }

    func run() throws {
        let sbatCSV = try sbat.map(Self.sbatCSV)
        let elf = try openELF(vmlinux)
        let (content, relocations) = try kernelPayload(elf, path: vmlinux, relocs: relocs)
        let payload = try settings.payload(for: content, name: vmlinux)
        let facts = try KernelFacts(elf, path: vmlinux)
        let rules = relocsRules(for: elf, kernelVersion: relocs.kernelVersion)
        let input = KernelImageInput(payload: payload, format: settings.compress,
                                     outputLength: content.count, kernelSize: facts.size,
                                     loadAddress: facts.loadAddress, alignment: facts.alignment,
                                     inverseTable: rules.hasInverseTable, kernelVersion: facts.banner,
                                     randomizable: relocations > 0 && !noKASLR, efi: efi, sbat: sbatCSV)
        let image: BuiltImage
        do { image = try BootImageWriter.assemble(input) } catch { throw Failure(vmlinux, error) }
        try OutputFile.write(output, replacing: [vmlinux]) { sink in try image.bytes.withUnsafeBytes { try sink.write($0) } }
        if let map {
            try OutputFile.write(map, replacing: [vmlinux, output]) { sink in
                try Array(image.map.utf8).withUnsafeBytes { try sink.write($0) }
            }
        }
    }
}

extension BuildCommand {
    /// The `--sbat` file: SBAT CSV as shim parses it — lines of at least six comma-separated fields, the first the
    /// `sbat,1,…` entry of the format's version — and no NUL, where shim stops reading.
    static func sbatCSV(_ path: String) throws -> [UInt8] {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw Failure(path, error) }
        let bytes = Array(file.bytes.buffer)
        let lines = bytes.split(whereSeparator: { $0 == 0x0A || $0 == 0x0D })
        guard !bytes.contains(0), let first = lines.first, first.starts(with: Array("sbat,".utf8)) else {
            throw Failure(path, "not SBAT CSV: its first line must be shim's version entry (sbat,1,SBAT Version,…)")
        }
        if let bad = lines.firstIndex(where: { $0.split(separator: 0x2C, omittingEmptySubsequences: false).count < 6 }) {
            throw Failure(path, "not SBAT CSV: entry \(bad + 1) has fewer than the six fields of an SBAT entry")
        }
        return bytes
    }
}

/// What the image needs from vmlinux besides its payload.
struct KernelFacts {
    var size: UInt64
    var loadAddress: UInt64
    var alignment: UInt64
    var banner: String

    init(_ elf: ELFFile, path: String) throws {
        guard let first = elf.programHeaders.first(where: { $0.type == ELF.SegmentType.load }) else {
            throw Failure(path, "no PT_LOAD segment")
        }
        loadAddress = first.physicalAddress
        alignment = first.alignment
        guard alignment >= 0x20_0000, alignment & (alignment - 1) == 0, loadAddress % alignment == 0 else {
            throw Failure(path, "the kernel is not linked for a 2 MiB-aligned physical address (p_paddr "
                + "0x\(String(loadAddress, radix: 16)), p_align 0x\(String(alignment, radix: 16)))")
        }
        do {
            guard let text = try elf.firstSymbol(named: "_text"), let end = try elf.firstSymbol(named: "_end"),
                  end.value > text.value else {
                throw Failure(path, "no _text/_end symbols: a stripped vmlinux cannot give the kernel's extent")
            }
            size = end.value - text.value
            banner = Self.setupVersionString(try elf.kernelBanner() ?? "")
        } catch let error as ELFError {
            throw Failure(path, error)
        }
    }
}

extension KernelFacts {
    /// The kernel's setup version string is `release (user@host) version`: its banner without the
    /// "(compiler, linker)" group that follows the builder.
    static func setupVersionString(_ banner: String) -> String {
        guard let builderEnd = banner.range(of: ") (") else { return banner }
        let rest = banner[builderEnd.upperBound...]
        var depth = 1
        for index in rest.indices {
            if rest[index] == "(" { depth += 1 }
            if rest[index] == ")" { depth -= 1 }
            if depth == 0 {
                let after = rest[rest.index(after: index)...].drop { $0 == " " }
                return String(banner[..<builderEnd.lowerBound]) + ") " + after
            }
        }
        return banner
    }
}
