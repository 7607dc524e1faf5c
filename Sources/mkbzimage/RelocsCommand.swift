import ArgumentParser
import ElfKit

struct RelocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relocs",
        abstract: "Write vmlinux's relocation table as the kernel's arch/x86/tools/relocs does, byte for byte.",
        discussion: """
            The table is collected from the .rela.* sections that the kernel's link (--emit-relocs) leaves in \
            vmlinux. Since Linux 6.5 the build strips them from the shipped vmlinux; such a file is refused.
            """
    )

    @Argument(help: "The vmlinux (ELF64 x86-64, linked with --emit-relocs).")
    var vmlinux: String

    @Option(name: .shortAndLong, help: "Output file ('-' for stdout).")
    var output: String = "vmlinux.relocs"

    @Option(help: ArgumentHelp(
        "Reproduce the relocs tool of this kernel release (e.g. 6.1, 6.12, 6.15).",
        discussion: "Default: the release in vmlinux's linux_banner, else 6.1. 6.15 and later write two tables."))
    var kernelVersion: String?

    func validate() throws {
        try validateKernelVersion(kernelVersion)
    }

    func run() throws {
        let elf = try openELF(vmlinux)
        let bytes = try collectRelocations(elf, path: vmlinux, kernelVersion: kernelVersion)
        try OutputFile.write(output, replacing: [vmlinux]) { sink in
            try bytes.withUnsafeBytes { try sink.write($0) }
        }
    }
}
