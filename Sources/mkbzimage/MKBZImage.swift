import ArgumentParser

/// The command tree. `build` is the default: `mkbzimage --compress=zstd vmlinux`.
struct MKBZImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkbzimage",
        abstract: "Turn an x86-64 vmlinux into a bootable bzImage, the way the kernel's build does.",
        usage: """
            mkbzimage [--compress <format>] [-o <output>] <vmlinux>   (the build command)
              mkbzimage --dump-header <bzimage> [--json]
              mkbzimage <subcommand>
            """,
        version: "0.1.0",
        subcommands: [BuildCommand.self, StripCommand.self, RelocsCommand.self, PayloadCommand.self,
                      DumpHeaderCommand.self, ExtractCommand.self]
    )

    @Option(name: .customLong("dump-header"), help: ArgumentHelp("Show a bzImage's setup header (as dump-header).",
                                                                  valueName: "BZIMAGE"))
    var dumpHeader: String?

    @Flag(help: "With --dump-header: print JSON.")
    var json = false

    /// The arguments with `build` put in front when they name no subcommand (and are not the root's own
    /// --dump-header, --help or --version): `build` is the default command. ArgumentParser's defaultSubcommand
    /// would also swallow `--dump-header FILE` into build's arguments.
    static func routing(_ arguments: [String]) -> [String] {
        let names = Set(configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"])
        let rootOnly: Set<String> = ["--dump-header", "--help", "-h", "--version"]
        guard let first = arguments.first, !names.contains(first),
              !arguments.contains(where: { rootOnly.contains($0) || $0.hasPrefix("--dump-header=") }) else {
            return arguments
        }
        return ["build"] + arguments
    }

    func run() throws {
        guard let dumpHeader else { throw ValidationError("give a subcommand or --dump-header BZIMAGE") }
        try DumpHeaderCommand.dump(dumpHeader, json: json)
    }
}

/// A failure caused by the input or the environment: one line on stderr, exit 1.
struct Failure: Error {
    let message: String
    /// "FILE: problem"
    init(_ file: String, _ problem: CustomStringConvertible) { message = "\(file): \(problem)" }
}
