import ArgumentParser

/// The command tree. `build` (the default subcommand), `--dump-header` and `extract` join it in their issues.
struct MKBZImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkbzimage",
        abstract: "Turn an x86-64 vmlinux into a bootable bzImage, the way the kernel's build does.",
        version: "0.1.0",
        subcommands: [StripCommand.self, RelocsCommand.self, PayloadCommand.self]
    )
}

/// A failure caused by the input or the environment: one line on stderr, exit 1.
struct Failure: Error {
    let message: String
    /// "FILE: problem"
    init(_ file: String, _ problem: CustomStringConvertible) { message = "\(file): \(problem)" }
}
