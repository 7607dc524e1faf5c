/// Builds a section-name string table the way GNU BFD does when objcopy writes a file (`elf-strtab.c`):
/// strings are kept once, a name that is a proper suffix of another name is not stored but points into it,
/// and the remaining strings are laid out in insertion order after the leading NUL.
struct SectionNameTable {
    private var strings: [[UInt8]] = []
    private var indexOf: [[UInt8]: Int] = [:]

    /// Adds `name` (deduplicated); returns its handle for `offset(of:)`.
    @discardableResult
    mutating func add(_ name: String) -> Int {
        let bytes = Array(name.utf8)
        if let handle = indexOf[bytes] { return handle }
        strings.append(bytes)
        indexOf[bytes] = strings.count - 1
        return strings.count - 1
    }

    /// Lays the table out: the bytes and each handle's offset.
    func finalize() -> (bytes: [UInt8], offsets: [Int]) {
        // Empty names share the leading NUL.
        let candidates = strings.indices.filter { !strings[$0].isEmpty }
        // Sort by the reversed string; on a common tail, the shorter one first.
        let sorted = candidates.sorted { a, b in
            let x = strings[a], y = strings[b]
            var i = x.count - 1, j = y.count - 1
            while i >= 0 && j >= 0 {
                if x[i] != y[j] { return x[i] < y[j] }
                i -= 1; j -= 1
            }
            return x.count < y.count
        }
        // Walk from the end: a string that is a proper suffix of the last kept one is merged into it.
        var suffixOf = [Int: Int]()
        if var kept = sorted.last {
            for handle in sorted.dropLast().reversed() {
                let candidate = strings[handle], host = strings[kept]
                if host.count > candidate.count && host.suffix(candidate.count).elementsEqual(candidate) {
                    suffixOf[handle] = kept
                } else {
                    kept = handle
                }
            }
        }
        var bytes: [UInt8] = [0]
        var offsets = [Int](repeating: 0, count: strings.count)
        for handle in strings.indices where !strings[handle].isEmpty && suffixOf[handle] == nil {
            offsets[handle] = bytes.count
            bytes += strings[handle]
            bytes.append(0)
        }
        for (handle, host) in suffixOf {
            offsets[handle] = offsets[host] + strings[host].count - strings[handle].count
        }
        return (bytes, offsets)
    }
}
