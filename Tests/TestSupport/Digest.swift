import Foundation

/// SHA-256 of a file as coreutils' `sha256sum` prints it (lower-case hex), for golden-image checks.
public func sha256(ofFile path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return String(text.prefix(64))
}

/// SHA-256 of bytes (through a temporary file and `sha256sum`).
public func sha256(_ bytes: [UInt8]) throws -> String {
    let dir = try TemporaryDirectory()
    defer { dir.cleanup() }
    try Data(bytes).write(to: URL(fileURLWithPath: dir.file("data")))
    return try sha256(ofFile: dir.file("data"))
}
