extension MappedFile {
    /// The first `count` bytes of this file as a file of their own, sharing the mapping (no copy): what a
    /// truncated copy of the file would hold. Used to probe truncations of a large file cheaply.
    public func prefix(_ count: Int) -> MappedFile {
        MappedFile(sharing: self, count: min(max(count, 0), bytes.count))
    }
}
