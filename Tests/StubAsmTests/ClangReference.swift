import Foundation
import Testing
import StubAsm

/// One instruction form: StubAsm calls and the same code in LLVM's assembler syntax.
///
/// The source is Intel syntax (`.intel_syntax noprefix`) unless it switches to `.att_syntax` itself. Labels
/// are written `.Lname` and are private to the case; `START` is a label at the case's first byte, so
/// `(.Lx - START + origin)` is what StubAsm calls `x.address`, with no relocation left for the linker.
struct EncodingCase: Sendable, CustomTestStringConvertible {
    let id: Int
    let mode: CodeMode
    let origin: UInt64
    let source: String
    let build: @Sendable (inout Assembler) -> Void

    var testDescription: String { "[\(mode.rawValue)] \(source.replacingOccurrences(of: "\n", with: "; "))" }

    func stubAsmBytes() throws -> [UInt8] {
        var assembler = Assembler(mode: mode, origin: origin)
        build(&assembler)
        return try assembler.finish()
    }

    /// The case in its own section, so that its bytes come out separately from one clang run.
    func llvmSource() -> String {
        let prefix = ".Lc\(id)_"
        let body = source.replacingOccurrences(of: ".L", with: prefix)
            .replacingOccurrences(of: "START", with: prefix + "START")
        return """
            .section .text.c\(id),"ax",@progbits
            .code\(mode.rawValue)
            .intel_syntax noprefix
            \(prefix)START:
            \(body)

            """
    }
}

/// Collects cases; `modes` applies to the ones added after it is set.
struct CaseList {
    private(set) var cases: [EncodingCase] = []
    var modes: [CodeMode] = CodeMode.allCases

    /// AT&T's operand-size suffix for the mode's own width.
    static func suffix(_ mode: CodeMode) -> String { ["w", "l", "q"][CodeMode.allCases.firstIndex(of: mode)!] }

    /// Adds `source`/`build` once for each of `modes` (or the list's current modes).
    mutating func t(_ source: String, modes: [CodeMode]? = nil, origin: UInt64 = 0,
                    _ build: @escaping @Sendable (inout Assembler) -> Void) {
        for mode in modes ?? self.modes {
            cases.append(EncodingCase(id: cases.count, mode: mode, origin: origin, source: source, build: build))
        }
    }
}

/// The Swift toolchain's own clang, the oracle: not whichever `clang` comes first on PATH (Debian's clang 14 in
/// /usr/bin pads `.balign` with multi-byte NOPs and orders prefixes otherwise), but the one of the toolchain this
/// test process was built and runs with: its Swift runtime (libswiftCore, loaded through the RUNPATH the
/// toolchain's linker wrote) lives in `<toolchain>/usr/lib/swift/<platform>/`, its clang in `<toolchain>/usr/bin/`.
/// `STUBASM_CLANG=/path/to/clang` overrides it.
enum ToolchainClang {
    static let path: Result<String, ClangReference.Failure> = Result { () throws(ClangReference.Failure) in
        if let chosen = ProcessInfo.processInfo.environment["STUBASM_CLANG"] {
            if chosen.contains("/") { return chosen }
            let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
                .map { "\($0)/\(chosen)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let path else { throw ClangReference.Failure(description: "STUBASM_CLANG=\(chosen) is not on PATH") }
            return path
        }
        guard let runtime = swiftRuntimeLibrary() else {
            throw ClangReference.Failure(description: "cannot tell which toolchain runs this test (no libswiftCore in "
                + "/proc/self/maps); set STUBASM_CLANG to the Swift toolchain's clang")
        }
        // <toolchain>/usr/lib/swift/linux/libswiftCore.so → <toolchain>/usr/bin/clang
        var directory = URL(fileURLWithPath: runtime).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" && directory.lastPathComponent != "lib" { directory = directory.deletingLastPathComponent() }
        let clang = directory.deletingLastPathComponent().appendingPathComponent("bin/clang").path
        guard directory.lastPathComponent == "lib", FileManager.default.isExecutableFile(atPath: clang) else {
            throw ClangReference.Failure(description: "the Swift runtime this test runs on is \(runtime), but there "
                + "is no executable \(clang) beside it; set STUBASM_CLANG to the Swift toolchain's clang")
        }
        return clang
    }

    /// The file this process's Swift runtime (libswiftCore) was mapped from.
    static func swiftRuntimeLibrary() -> String? {
        // (Read to the end: /proc files report a size of 0.)
        guard let file = FileHandle(forReadingAtPath: "/proc/self/maps") else { return nil }
        defer { try? file.close() }
        let maps = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        return maps.split(separator: "\n").lazy.compactMap { line -> String? in
            guard let slash = line.firstIndex(of: "/") else { return nil }
            let path = String(line[slash...])
            return path.hasSuffix("/libswiftCore.so") ? path : nil
        }.first
    }

    /// "/opt/swift/usr/bin/clang (clang version 21.0.0 …)", for messages.
    static let description: String = {
        guard let path = try? path.get() else { return "no clang" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--version"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return path }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return "\(path) (\(text.split(separator: "\n").first ?? "no version"))"
    }()
}

/// The bytes LLVM's assembler (the Swift toolchain's clang) makes of every case, from one run.
enum ClangReference {
    struct Output: Sendable {
        let sections: [Int: [UInt8]]
        /// Cases whose section got relocations: their bytes are incomplete, so the source is wrong.
        let relocated: Set<Int>
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let output: Result<Output, Failure> = Result { () throws(Failure) in try assemble(AllCases.list) }

    static func assemble(_ cases: [EncodingCase]) throws(Failure) -> Output {
        let clang = try ToolchainClang.path.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stubasm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var lineOwners: [(line: Int, id: Int)] = []
        var source = ""
        var line = 1
        for testCase in cases {
            let text = testCase.llvmSource()
            lineOwners.append((line, testCase.id))
            source += text
            line += text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        }
        let input = directory.appendingPathComponent("cases.s"), object = directory.appendingPathComponent("cases.o")
        let process = Process()
        let errors = Pipe()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try source.write(to: input, atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: clang)
            process.arguments = ["-c", "-x", "assembler", "--target=x86_64-linux-gnu", input.path, "-o", object.path]
            process.standardError = errors
            try process.run()
        } catch {
            throw Failure(description: "cannot run \(ToolchainClang.description): \(error)")
        }
        let messages = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            // Name the case of each error line.
            let annotated = messages.split(separator: "\n").map { message -> String in
                let parts = message.split(separator: ":")
                guard parts.count > 2, let line = Int(parts[1]),
                      let owner = lineOwners.last(where: { $0.line <= line }) else { return String(message) }
                return "\(message)    <- case \(cases[owner.id].testDescription)"
            }
            throw Failure(description: "\(ToolchainClang.description) failed:\n" + annotated.joined(separator: "\n"))
        }
        guard let data = FileManager.default.contents(atPath: object.path) else {
            throw Failure(description: "\(ToolchainClang.description) wrote no object")
        }
        return try sections(ofObject: [UInt8](data))
    }

    /// Reads `.text.cN` and `.rela.text.cN` out of an ELF64 relocatable object.
    static func sections(ofObject elf: [UInt8]) throws(Failure) -> Output {
        func integer(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(elf[offset + $1]) << (8 * $1) }
        }
        guard elf.count > 64, elf[0..<4] == [0x7F, 0x45, 0x4C, 0x46], elf[4] == 2 else {
            throw Failure(description: "not an ELF64 object")
        }
        let tableOffset = integer(0x28, 8), entrySize = integer(0x3A, 2), count = integer(0x3C, 2)
        let names = integer(tableOffset + integer(0x3E, 2) * entrySize + 0x18, 8)
        var sections: [Int: [UInt8]] = [:]
        var relocated: Set<Int> = []
        for index in 0..<count {
            let header = tableOffset + index * entrySize
            let nameStart = names + integer(header, 4)
            let nameEnd = elf[nameStart...].firstIndex(of: 0) ?? nameStart
            let name = String(decoding: elf[nameStart..<nameEnd], as: UTF8.self)
            let offset = integer(header + 0x18, 8), size = integer(header + 0x20, 8)
            if name.hasPrefix(".text.c"), let id = Int(name.dropFirst(7)) {
                sections[id] = Array(elf[offset..<offset + size])
            } else if name.hasPrefix(".rela.text.c"), let id = Int(name.dropFirst(12)) {
                relocated.insert(id)
            }
        }
        return Output(sections: sections, relocated: relocated)
    }
}

/// Where two byte strings part, shown around the first difference.
struct ByteDifference: CustomStringConvertible {
    let actual: [UInt8]
    let expected: [UInt8]

    var description: String {
        let first = (0..<Swift.min(actual.count, expected.count)).first { actual[$0] != expected[$0] }
            ?? Swift.min(actual.count, expected.count)
        let window = Swift.max(0, first - 8)..<(first + 24)
        func excerpt(_ bytes: [UInt8]) -> String {
            let shown = bytes[Swift.min(window.lowerBound, bytes.count)..<Swift.min(window.upperBound, bytes.count)]
            return (window.lowerBound > 0 ? "… " : "") + shown.hex + (bytes.count > window.upperBound ? " …" : "")
        }
        return "StubAsm [\(excerpt(actual))] (\(actual.count) bytes), clang [\(excerpt(expected))] "
            + "(\(expected.count) bytes), first difference at \(first); clang: \(ToolchainClang.description)"
    }
}

extension Sequence<UInt8> {
    var hex: String { map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ") }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}
