import ArgumentParser

/// The command tree. `build` (the default subcommand) joins it in its issue.
struct MKBZImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkbzimage",
        abstract: "Turn an x86-64 vmlinux into a bootable bzImage, the way the kernel's build does.",
        version: "0.1.0",
        subcommands: [BuildCommand.self, StripCommand.self, RelocsCommand.self, PayloadCommand.self,
                      DumpHeaderCommand.self, ExtractCommand.self]
    )

    @Option(name: .customLong("dump-header"), help: ArgumentHelp("Show a bzImage's setup header (as dump-header).",
                                                                  valueName: "BZIMAGE"))
    var dumpHeader: String?

    @Flag(help: "With --dump-header: print JSON.")
    var json = false

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
