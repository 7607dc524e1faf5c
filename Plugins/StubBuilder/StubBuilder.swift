import PackagePlugin

/// Compiles the StubCore sources as freestanding Embedded Swift for x86-64 during the normal `swift build`, links
/// them position-independent at 0, and hands the bytes to the target that applies the plugin as a generated
/// `StubBlob.swift`. The stub is the same whatever the user's build configuration.
@main
struct StubBuilder: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let core = try context.package.targets(named: ["StubCore"]).first as? SourceModuleTarget else {
            throw PluginError("no StubCore target")
        }
        let sources = core.sourceFiles(withSuffix: "swift").map(\.url).sorted { $0.path < $1.path }
        let work = context.pluginWorkDirectoryURL
        let object = work.appending(path: "StubCore.o")
        let linked = work.appending(path: "stub.elf")
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
        // One segment (--omagic), not page-aligned: the stub is a blob inside our image, not a program.
        let link = [
            "-pie", "--no-dynamic-linker", "-z", "text", "-z", "norelro", "--build-id=none", "--gc-sections",
            "--omagic", "--hash-style=gnu", "-e", "stub_boot", "--undefined=stub_lz4_legacy", "-o", linked.path, object.path,
        ]
        return [
            .buildCommand(displayName: "Compiling the boot stub (Embedded Swift, x86_64-unknown-none-elf)",
                          executable: try context.tool(named: "swiftc").url, arguments: compile,
                          inputFiles: sources, outputFiles: [object]),
            .buildCommand(displayName: "Linking the boot stub", executable: try context.tool(named: "ld.lld").url,
                          arguments: link, inputFiles: [object], outputFiles: [linked]),
            .buildCommand(displayName: "Embedding the boot stub", executable: try context.tool(named: "stub-embed").url,
                          arguments: [linked.path, generated.path], inputFiles: [linked], outputFiles: [generated]),
        ]
    }
}

struct PluginError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
