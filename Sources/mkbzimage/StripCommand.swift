import ArgumentParser
import ElfKit

struct StripCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strip",
        abstract: "Write vmlinux stripped as the kernel's build does (objcopy -R .comment -S), byte for byte."
    )

    @Argument(help: "The vmlinux (ELF64 x86-64).")
    var vmlinux: String

    @Option(name: .shortAndLong, help: "Output file ('-' for stdout).")
    var output: String = "vmlinux.bin"

    func run() throws {
        let elf = try openELF(vmlinux)
        let stripped: StrippedELF
        do { stripped = try elf.stripped() } catch { throw Failure(vmlinux, error) }
        try OutputFile.write(output, replacing: [vmlinux]) { sink in
            try stripped.forEachChunk { try sink.write($0) }
        }
    }
}

/// Opens and validates an ELF, turning every problem into a one-line failure naming the file.
func openELF(_ path: String) throws -> ELFFile {
    do { return try ELFFile(path: path) } catch { throw Failure(path, error) }
}
