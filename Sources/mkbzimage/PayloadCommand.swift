import ArgumentParser
import Compressors
import ElfKit

#if canImport(Glibc)
import Glibc
#endif

// `--compress` takes a format's name (its raw value is the stub's number for it, not a spelling).
extension Algorithm: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public var defaultValueDescription: String { name }
    public static var allValueStrings: [String] { allCases.map(\.name) }
    public static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

struct CompressionSettings: ParsableArguments {
    @Option(help: "Payload format: \(Algorithm.allCases.map(\.name).joined(separator: ", ")).")
    var compress: Algorithm = .gzip

    @Option(help: "Compression level (default: the kernel's setting for the format).")
    var level: Int?

    @Option(help: "Threads for formats that can split their work (default: all cores). Output is the same for any N.")
    var threads: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    func validate() throws {
        if let level, !compress.levels.contains(level) {
            throw ValidationError("--level \(level) is not valid for \(compress.name) "
                + "(\(compress.levels.lowerBound)-\(compress.levels.upperBound))")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// Compresses, showing progress on stderr when it is a terminal.
    func payload(for input: [UInt8], name: String) throws -> [UInt8] {
        let meter = ProgressMeter(label: "\(compress.name) \(name)")
        defer { meter.finish() }
        var progress: (@Sendable (Int, Int) -> Void)? = nil
        if let meter { progress = { meter.update($0, $1) } }
        let options = CompressionOptions(level: level, threads: threads, progress: progress)
        do {
            return try input.withUnsafeBytes { try Payload.compress($0, with: compress, options: options) }
        } catch let error as CompressionError {
            throw Failure(name, error)
        }
    }
}

struct PayloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payload",
        abstract: "Write the compressed payload the kernel's build makes (vmlinux.bin.<format>).",
        discussion: "The stripped vmlinux followed by its relocation table, compressed in the kernel's container, "
            + "with the 4-byte size trailer the kernel appends to every format but gzip."
    )

    @Argument(help: "The vmlinux (ELF64 x86-64).")
    var vmlinux: String

    @Option(name: .shortAndLong, help: "Output file ('-' for stdout; default vmlinux.bin.<suffix>).")
    var output: String?

    @OptionGroup var settings: CompressionSettings
    @OptionGroup var relocs: RelocsSource

    func run() throws {
        let input = try uncompressedPayload(vmlinux, relocs: relocs)
        let payload = try settings.payload(for: input, name: vmlinux)
        try OutputFile.write(output ?? "vmlinux.bin.\(settings.compress.suffix)", replacing: [vmlinux]) { sink in
            try payload.withUnsafeBytes { try sink.write($0) }
        }
    }
}
