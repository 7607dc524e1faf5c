import Foundation

/// A boot under QEMU through `scripts/qemu-boot`, which stops the machine as soon as the marker (or a failure text)
/// is on the serial console and gives the console's text back. Every boot test goes through it, as does
/// `scripts/bench-boot`.
public struct QEMUBoot {
    public enum Firmware: Sendable {
        /// QEMU's SeaBIOS.
        case seabios
        /// OVMF (`-bios /usr/share/ovmf/OVMF.fd`): UEFI; its `-kernel` loader runs an EFI image's PE entry, and
        /// enters the 32-bit entry of one without a PE header.
        case ovmf
        /// OVMF enforcing Secure Boot with a copy of the varstore at this path (keys enrolled).
        case secureBoot(vars: String)
    }

    public enum Medium: Sendable {
        /// QEMU `-kernel`, with an initrd and a command line.
        case kernel(String, initrd: String? = nil, append: String = "")
        /// A CD image (`-cdrom … -boot d`), e.g. GRUB's grub-mkrescue.
        case cdrom(String)
        /// A raw disk image.
        case drive(String)
    }

    /// How the boot ended (qemu-boot's exit status).
    public enum Outcome: Int32, Sendable {
        case marker = 0, failure = 1, exited = 3, timeout = 124
    }

    public struct Result: Sendable {
        public let outcome: Outcome
        /// The serial console (with QEMU's own messages).
        public let console: String
        /// The VGA text screen, 25 lines of 80 characters, when `screen` was asked for.
        public let screen: String
        /// qemu-boot's note on how it stopped.
        public let note: String
        /// Each complete console line with the seconds from QEMU's start to it.
        public let timedLines: [(seconds: Double, line: String)]

        /// When the first line holding `text` came, in seconds from QEMU's start.
        public func time(of text: String) -> Double? {
            timedLines.first { $0.line.contains(text) }?.seconds
        }

        /// The end of the console, for failure messages.
        public var tail: String { "\(note)\(console.suffix(3000))" }
    }

    public var medium: Medium
    public var firmware = Firmware.seabios
    public var cpu: String?
    public var memory = "1G"
    /// Stop when a serial line holds this.
    public var marker: String?
    /// Stop when a serial line holds any of these: our boot code's errors and the kernel's panic by default.
    public var failures = ["mkbzimage: ", "Kernel panic"]
    /// Also wait for this text on the VGA text screen.
    public var screen: String?
    public var timeout = 120

    public init(_ medium: Medium, marker: String? = Initramfs.marker) {
        self.medium = medium
        self.marker = marker
    }

    public static let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/qemu-boot").path

    public func arguments(screenFile: String?) -> [String] {
        var arguments: [String] = []
        switch medium {
        case .kernel(let image, let initrd, let append):
            arguments += ["--kernel", image, "--append", append]
            if let initrd { arguments += ["--initrd", initrd] }
        case .cdrom(let iso): arguments += ["--cdrom", iso]
        case .drive(let disk): arguments += ["--drive", disk]
        }
        switch firmware {
        case .seabios: break
        case .ovmf: arguments += ["--firmware", "ovmf"]
        case .secureBoot(let vars): arguments += ["--secure-boot", vars]
        }
        if let cpu { arguments += ["--cpu", cpu] }
        arguments += ["--memory", memory, "--timeout", "\(timeout)"]
        if let marker { arguments += ["--marker", marker] }
        for failure in failures { arguments += ["--fail", failure] }
        if let screen { arguments += ["--screen", screen] }
        if let screenFile { arguments += ["--screen-file", screenFile] }
        return arguments
    }

    /// Boots and returns how it ended and what the console (and screen) showed.
    public func run() throws -> Result {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let console = dir.file("console"), note = dir.file("note"), screenFile = dir.file("screen")
        let stamps = dir.file("stamps")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.script)
        process.arguments = arguments(screenFile: screen == nil ? nil : screenFile) + ["--console", console, "--stamps", stamps]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: note, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: note))
        try process.run()
        process.waitUntilExit()
        func text(_ path: String) -> String {
            String(decoding: (try? Fixtures.bytes(path)) ?? [], as: UTF8.self)
        }
        guard let outcome = Outcome(rawValue: process.terminationStatus) else {
            throw TestFailure(description: "qemu-boot exited with \(process.terminationStatus): \(text(note))")
        }
        let timedLines = text(stamps).split(separator: "\n").compactMap { stamp -> (Double, String)? in
            guard let space = stamp.firstIndex(of: " "), let seconds = Double(stamp[..<space]) else { return nil }
            return (seconds, String(stamp[stamp.index(after: space)...]))
        }
        return Result(outcome: outcome, console: text(console), screen: text(screenFile), note: text(note),
                      timedLines: timedLines)
    }
}

/// The boot tests' initramfs, from `scripts/make-initramfs`: the static busybox and an /init that mounts /proc and
/// /sys, runs `commands`, prints the marker and powers off.
public enum Initramfs {
    public static let marker = "MKBZIMAGE-INIT-OK"
    public static let script = Fixtures.repositoryRoot.appendingPathComponent("scripts/make-initramfs").path

    /// Writes it to `path`. `marker: nil` prints none; `files` are (source, path inside); `binaries` are copied with
    /// their shared libraries.
    @discardableResult
    public static func build(_ path: String, commands: [String] = [], marker: String? = Initramfs.marker,
                             files: [(String, String)] = [], binaries: [String] = []) throws -> String {
        var arguments = commands.flatMap { ["--run", $0] }
        arguments += marker.map { ["--marker", $0] } ?? ["--no-marker"]
        arguments += files.flatMap { ["--file", "\($0.0):\($0.1)"] }
        arguments += binaries.flatMap { ["--binary", $0] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = arguments + [path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure(description: "make-initramfs failed: \(message)")
        }
        return path
    }
}
