#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only. Pages are read only when touched, so parsing the headers of a 600 MB vmlinux
/// does not read its DWARF. Also wraps in-memory bytes, so tests can parse what they build or corrupt.
public final class MappedFile: @unchecked Sendable {
    public let bytes: ByteView
    private let release: () -> Void

    public struct OpenError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { reason }
    }

    /// Maps `path` read-only (MAP_PRIVATE, so the file can never be written through the mapping).
    public init(path: String) throws(OpenError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OpenError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw OpenError(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw OpenError(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = ByteView(UnsafeRawBufferPointer(start: nil, count: 0))
            release = {}
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw OpenError(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = ByteView(UnsafeRawBufferPointer(start: base, count: size))
        release = { munmap(base, size) }
    }

    /// Copies `data` into a private buffer.
    public init(bytes data: [UInt8]) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        data.withUnsafeBytes { storage.copyMemory(from: $0) }
        bytes = ByteView(UnsafeRawBufferPointer(rebasing: storage[0..<data.count]))
        release = { storage.deallocate() }
    }

    /// A view of the first `count` bytes of `parent`, keeping it alive.
    init(sharing parent: MappedFile, count: Int) {
        bytes = ByteView(UnsafeRawBufferPointer(rebasing: parent.bytes.buffer[0..<count]))
        release = { withExtendedLifetime(parent) {} }
    }

    deinit { release() }
}
