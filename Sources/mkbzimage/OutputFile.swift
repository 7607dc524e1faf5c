#if canImport(Glibc)
import Glibc
#endif

/// Writes an output file all or nothing: into a temporary file beside the target, renamed over it at the end,
/// removed on any failure. `-` writes to stdout. Refuses to replace one of the inputs.
enum OutputFile {
    struct Sink {
        let fd: Int32
        let path: String

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(path, "write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    static func write(_ path: String, replacing inputs: [String], _ body: (Sink) throws -> Void) throws {
        if path == "-" {
            try body(Sink(fd: 1, path: "<stdout>"))
            return
        }
        var target = stat()
        if stat(path, &target) == 0 {
            for input in inputs {
                var source = stat()
                if stat(input, &source) == 0 && source.st_dev == target.st_dev && source.st_ino == target.st_ino {
                    throw Failure(path, "refusing to overwrite the input file")
                }
            }
            if (target.st_mode & S_IFMT) == S_IFDIR { throw Failure(path, "is a directory") }
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure(path, "cannot create: \(String(cString: strerror(errno)))") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            defer { close(fd) }
            // mkstemp creates 0600; give the file the usual permissions (0666 less the umask).
            let mask = umask(0)
            umask(mask)
            fchmod(fd, 0o666 & ~mask)
            try body(Sink(fd: fd, path: path))
            guard fsync(fd) == 0 || errno == EINVAL else {
                throw Failure(path, "write failed: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(path, "cannot write: \(reason)")
        }
    }
}

/// Writes one line to stderr.
func printError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
}
