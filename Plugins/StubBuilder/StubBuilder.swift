import Foundation
import PackagePlugin

/// Compiles the StubCore sources as freestanding Embedded Swift for x86-64 during the normal `swift build`, links
/// them position-independent at 0 (one stub per payload format), and hands the bytes to the target that applies
/// the plugin as a generated `StubBlob.swift`. The stub is the same whatever the user's build configuration.
@main
struct StubBuilder: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let core = try context.package.targets(named: ["StubCore"]).first as? SourceModuleTarget else {
            throw PluginError("no StubCore target")
        }
        let sources = core.sourceFiles(withSuffix: "swift").map(\.url).sorted { $0.path < $1.path }
        let work = context.pluginWorkDirectoryURL
        let object = work.appending(path: "StubCore.o")
        let generated = work.appending(path: "StubBlob.swift")

        let compile = [
            "-target", "x86_64-unknown-none-elf", "-enable-experimental-feature", "Embedded",
            "-wmo", "-parse-as-library", "-Osize", "-module-name", "StubCore", "-D", "STUB_FREESTANDING",
            // Interrupt handlers may run on the same stack; no SSE before the stub enables it; no stack
            // protector (it needs a GOT); each function in its own section so the linker drops the unused runtime.
            "-Xcc", "-mno-red-zone", "-Xcc", "-mno-sse", "-Xcc", "-mno-mmx", "-Xcc", "-msoft-float",
            "-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-function-sections",
            "-Xfrontend", "-no-allocations", "-Xllvm", "-disable-loop-idiom-all",
            "-module-cache-path", work.appending(path: "module-cache").path,
            "-c", "-o", object.path,
        ] + sources.map(\.path)
        // One stub per payload format, each linked from the same object with its own entry so --gc-sections
        // keeps one decoder. One segment (--omagic), not page-aligned: a stub is a blob inside our image.
        // PayloadFormat's names (a plugin cannot import StubCore): stub-embed fails the build unless these are
        // exactly one per PayloadFormat, each stub's entry point `stub_boot_<name>`.
        let formats = ["lz4", "gzip", "bzip2", "lzma", "xz", "lzo", "zstd"]
        // The compiler records a hash of the module's LLVM IR in .swift_modhash, which the linker keeps in the
        // loaded segment: 16 bytes that change with any edit of StubCore (and with the clone's path) and mean
        // nothing at boot. Dropped, so that the stub's bytes change only when its code does.
        let linkable = work.appending(path: "StubCore-linkable.o")
        var commands: [Command] = [
            .buildCommand(displayName: "Compiling the boot stub (Embedded Swift, x86_64-unknown-none-elf)",
                          executable: try context.tool(named: "swiftc").url, arguments: compile,
                          inputFiles: sources, outputFiles: [object]),
            .buildCommand(displayName: "Dropping the boot stub's module hash",
                          executable: try context.tool(named: "llvm-objcopy").url,
                          arguments: ["--remove-section=.swift_modhash", object.path, linkable.path],
                          inputFiles: [object], outputFiles: [linkable]),
        ]
        var linked: [URL] = []
        for format in formats {
            let elf = work.appending(path: "stub-\(format).elf")
            var link = [
                "-pie", "--no-dynamic-linker", "-z", "text", "-z", "norelro", "--build-id=none", "--gc-sections",
                "--omagic", "--hash-style=gnu", "-e", "stub_boot_\(format)", "-o", elf.path, linkable.path,
            ]
            if format == "lz4" { link += ["--undefined=stub_lz4_legacy"] }  // host tests call it
            commands.append(.buildCommand(displayName: "Linking the \(format) boot stub",
                                          executable: try context.tool(named: "ld.lld").url, arguments: link,
                                          inputFiles: [linkable], outputFiles: [elf]))
            linked.append(elf)
        }
        // The EFI entry's code, once for every format: an image built for UEFI carries it beside its format's stub.
        let efi = work.appending(path: "stub-efi.elf")
        commands.append(.buildCommand(
            displayName: "Linking the EFI entry stub", executable: try context.tool(named: "ld.lld").url,
            arguments: ["-pie", "--no-dynamic-linker", "-z", "text", "-z", "norelro", "--build-id=none", "--gc-sections",
                        "--omagic", "--hash-style=gnu", "-e", "stub_efi_main", "--undefined=stub_efi_handover",
                        "-o", efi.path, linkable.path],
            inputFiles: [linkable], outputFiles: [efi]))
        linked.append(efi)
        commands.append(.buildCommand(displayName: "Embedding the boot stubs",
                                      executable: try context.tool(named: "stub-embed").url,
                                      arguments: [generated.path] + linked.map(\.path), inputFiles: linked,
                                      outputFiles: [generated]))
        return commands
    }
}

struct PluginError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
