import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

// Exit codes are part of the contract: 0 success, 1 bad input, 2 usage.
do {
    var command = try MKBZImage.parseAsRoot(MKBZImage.routing(Array(CommandLine.arguments.dropFirst())))
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch let failure as Failure {
    printError("mkbzimage: \(failure.message)")
    exit(1)
} catch {
    let code = MKBZImage.exitCode(for: error)
    if code == .success {
        // --help, --version
        print(MKBZImage.fullMessage(for: error))
        exit(0)
    }
    printError(MKBZImage.fullMessage(for: error))
    exit(code == ExitCode(1) ? 1 : 2)
}
