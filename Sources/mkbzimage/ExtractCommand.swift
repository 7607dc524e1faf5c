import ArgumentParser

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Take a bzImage's payload apart: the stripped vmlinux and the relocation table.",
        discussion: "Decompresses the payload (any of the seven formats) with the boot stub's own decoders and splits "
            + "it where the ELF's own headers say it ends. Works on signed images. Without --vmlinux or --relocs, "
            + "writes vmlinux.bin and vmlinux.relocs."
    )

    @Argument(help: "The bzImage.")
    var bzImage: String

    @Option(help: "Where to write the stripped vmlinux ('-' for stdout).")
    var vmlinux: String?

    @Option(help: "Where to write the relocation table ('-' for stdout).")
    var relocs: String?

    func validate() throws {
        if vmlinux == "-" && relocs == "-" { throw ValidationError("only one of --vmlinux and --relocs can be '-'") }
    }

    func run() throws {
        let payload = try ImagePayload(decoding: bzImage)
        let outputs = (vmlinux == nil && relocs == nil) ? ("vmlinux.bin", "vmlinux.relocs") : (vmlinux, relocs)
        if let path = outputs.0 {
            try OutputFile.write(path, replacing: [bzImage]) { sink in try payload.elf.withUnsafeBytes { try sink.write($0) } }
        }
        if let path = outputs.1 {
            try OutputFile.write(path, replacing: [bzImage]) { sink in try payload.table.withUnsafeBytes { try sink.write($0) } }
        }
    }
}
