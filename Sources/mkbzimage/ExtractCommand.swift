import ArgumentParser
import ElfKit
import SetupHeader

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
        let file: MappedFile
        do { file = try MappedFile(path: bzImage) } catch { throw Failure(bzImage, error) }
        let image = BzImage(image: file.bytes.buffer)
        guard let range = image.payloadRange else {
            let reason = image.findings.first { $0.severity == .error }?.message ?? "no payload (payload_offset/payload_length)"
            throw Failure(bzImage, reason)
        }
        let content: [UInt8]
        do {
            content = try PayloadDecoding.decode(UnsafeRawBufferPointer(rebasing: file.bytes.buffer[range]))
        } catch {
            throw Failure(bzImage, error)
        }
        let elf: ELFFile
        do { elf = try ELFFile(MappedFile(bytes: content)) } catch {
            throw Failure(bzImage, "the payload does not start with a usable ELF: \(error)")
        }
        let split = elf.fileExtent
        let outputs = (vmlinux == nil && relocs == nil) ? ("vmlinux.bin", "vmlinux.relocs") : (vmlinux, relocs)
        try content.withUnsafeBytes { bytes in
            if let path = outputs.0 {
                try OutputFile.write(path, replacing: [bzImage]) { try $0.write(UnsafeRawBufferPointer(rebasing: bytes[..<split])) }
            }
            if let path = outputs.1 {
                try OutputFile.write(path, replacing: [bzImage]) { try $0.write(UnsafeRawBufferPointer(rebasing: bytes[split...])) }
            }
        }
    }
}
