import ArgumentParser
import ElfKit
import SetupHeader

struct DumpHeaderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump-header",
        abstract: "Show a bzImage's setup header, what it means, and which loaders would refuse it (also --dump-header).",
        discussion: "Exit status 1 when a finding is an error (a loader would refuse the image or boot it wrongly)."
    )

    @Argument(help: "The bzImage.")
    var bzImage: String

    @Flag(help: "Print stable JSON, one key per boot-protocol field.")
    var json = false

    /// `--json` is also the root's flag (for `mkbzimage --dump-header FILE --json`), which may claim it.
    @ParentCommand var root: MKBZImage

    func run() throws { try Self.dump(bzImage, json: json || root.json) }

    static func dump(_ path: String, json: Bool) throws {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw Failure(path, error) }
        guard file.bytes.count > 0 else { throw Failure(path, "empty file, not a bzImage") }
        let image = BzImage(image: file.bytes.buffer)
        print(json ? image.jsonReport(name: path) : image.textReport(name: path), terminator: "")
        if image.findings.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}
