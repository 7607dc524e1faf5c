/// The relocation table's binary format: what the kernel's `arch/x86/tools/relocs` writes after vmlinux in the
/// payload, and its boot code reads backwards from the end of the decompressed data. Little-endian u32 words,
/// each the low 32 bits of the link-time virtual address of a field to patch, in runs that each start with a zero
/// word:
///   6.1 … 6.14   `0, R64…, 0, INV32…, 0, R32…`
///   6.15+        `0, R64…, 0, R32…`
/// Writing (ElfKit's `RelocationTable.serialized`, the CLI's empty table) and reading (the stub's
/// `KernelPlacement.relocate`, the CLI's check of a table it is given) both go through this type. It lives in
/// StubCore because the stub is compiled from StubCore's sources alone; ElfKit depends on StubCore for it.
public enum RelocationTableLayout {
    /// The runs, in the order the table stores them (a reader from the end meets them in reverse).
    public enum Run: Sendable, Equatable {
        /// 64-bit absolute fields: the delta is added.
        case r64
        /// 32-bit PC-relative references to per-cpu data (6.1 … 6.14): the delta is subtracted.
        case inverse32
        /// 32-bit absolute fields: the delta is added.
        case r32
    }

    public static var wordSize: Int { 4 }

    /// Bytes of a table with no entries: the zero words that start its runs.
    public static func emptySize(hasInverseTable: Bool) -> Int { (hasInverseTable ? 3 : 2) * wordSize }

    /// Walks the table that ends at `end` bytes from `base` backwards, as the boot code reads it: the R32 entries,
    /// then (with the inverse run) the INV32 entries, then the R64 entries, each run ended by the zero word that
    /// starts it; `body` gets each entry with its run. Returns the offset of the table's first word. A run that
    /// reaches below `base` is `.badTable`.
    @inline(__always)
    public static func forEachEntry(in base: UnsafeRawPointer, end: Int, hasInverseTable: Bool,
                                    _ body: (Run, UInt32) throws(KernelPlacement.Failure) -> Void)
        throws(KernelPlacement.Failure) -> Int
    {
        var p = end - wordSize
        func word(_ at: Int) throws(KernelPlacement.Failure) -> UInt32 {
            guard at >= 0 else { throw .badTable }
            return (base + at).loadUnaligned(as: UInt32.self)
        }
        var entry = try word(p)
        while entry != 0 {
            try body(.r32, entry)
            p -= wordSize
            entry = try word(p)
        }
        if hasInverseTable {
            p -= wordSize
            entry = try word(p)
            while entry != 0 {
                try body(.inverse32, entry)
                p -= wordSize
                entry = try word(p)
            }
        }
        p -= wordSize
        entry = try word(p)
        while entry != 0 {
            try body(.r64, entry)
            p -= wordSize
            entry = try word(p)
        }
        return p
    }
}

#if !STUB_FREESTANDING
extension RelocationTableLayout {
    /// The table's bytes; `inverse32` nil for the 6.15+ layout, which has no inverse run.
    public static func encode(r64: [UInt32], inverse32: [UInt32]?, r32: [UInt32]) -> [UInt8] {
        var words: [UInt32] = [0]
        words += r64
        if let inverse32 {
            words.append(0)
            words += inverse32
        }
        words.append(0)
        words += r32
        var out = [UInt8](repeating: 0, count: words.count * wordSize)
        out.withUnsafeMutableBytes { raw in
            for (i, word) in words.enumerated() {
                raw.storeBytes(of: word.littleEndian, toByteOffset: i * wordSize, as: UInt32.self)
            }
        }
        return out
    }

    /// The runs of a whole table (read as the boot code reads it, so exactly what it would apply), or nil when
    /// `bytes` is not one table of this layout from its first byte to its last.
    public static func decode(_ bytes: UnsafeRawBufferPointer, hasInverseTable: Bool)
        -> (r64: [UInt32], inverse32: [UInt32], r32: [UInt32])?
    {
        guard bytes.count % wordSize == 0, let base = bytes.baseAddress else { return nil }
        var r64: [UInt32] = [], inverse32: [UInt32] = [], r32: [UInt32] = []
        let start: Int
        do throws(KernelPlacement.Failure) {
            start = try forEachEntry(in: base, end: bytes.count, hasInverseTable: hasInverseTable) { run, entry in
                switch run {
                case .r64: r64.append(entry)
                case .inverse32: inverse32.append(entry)
                case .r32: r32.append(entry)
                }
            }
        } catch {
            return nil
        }
        guard start == 0 else { return nil }
        return (r64.reversed(), inverse32.reversed(), r32.reversed())
    }

    /// The layout in words, for messages.
    public static func description(hasInverseTable: Bool) -> String {
        hasInverseTable ? "0, R64…, 0, INV32…, 0, R32…" : "0, R64…, 0, R32…"
    }
}
#endif
