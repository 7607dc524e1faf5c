/// Physical KASLR's choice, as the kernel's decompressor and EFI stub make it: count the places an `size`-byte
/// buffer fits at `alignment` steps inside the usable ranges, no lower than `minimum`, then take the slot a
/// random number picks (`(count × random32) >> 32`, so every slot is as likely). Ranges come from the EFI memory map
/// (EfiConventionalMemory) or, for the BIOS entries, from E820 minus what the boot must not overwrite.
public struct PhysicalSlots {
    public let size: UInt64, alignment: UInt64, minimum: UInt64
    public private(set) var count: UInt64 = 0

    public init(size: UInt64, alignment: UInt64, minimum: UInt64) {
        self.size = size
        self.alignment = alignment
        self.minimum = minimum
    }

    /// The first aligned start in [start, end) and how many slots the range holds.
    func slots(start: UInt64, end: UInt64) -> (first: UInt64, count: UInt64) {
        let low = max(start, minimum)
        guard alignment > 0, low < end, size > 0 else { return (0, 0) }
        let first = (low &+ alignment &- 1) & ~(alignment &- 1)
        guard first < end, end &- first >= size else { return (first, 0) }
        return (first, (end &- first &- size) / alignment &+ 1)
    }

    /// Counts a range's slots.
    public mutating func add(start: UInt64, end: UInt64) {
        count &+= slots(start: start, end: end).count
    }

    /// Which slot `random` picks, 0 ≤ slot < count.
    public func pick(_ random: UInt64) -> UInt64 {
        (count &* (random & 0xFFFF_FFFF)) >> 32
    }

    /// The address of slot `index` when it lies in [start, end) — ranges visited in the order they were counted,
    /// `index` reduced by each range's count; nil while it is in a later range.
    public func address(of index: inout UInt64, start: UInt64, end: UInt64) -> UInt64? {
        let (first, n) = slots(start: start, end: end)
        guard index >= n else { return first &+ index &* alignment }
        index &-= n
        return nil
    }
}
