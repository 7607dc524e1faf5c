import ElfKit
import StubCore
import Testing
import TestSupport

@Suite struct KernelPlacementTests {
    static let loadAddress: UInt64 = 0x100_0000

    /// Places the Debian 6.1 kernel and applies a KASLR delta; checks against ElfKit's reading of the same bytes.
    @Test func placesAndRelocatesTheDebian61Kernel() throws {
        let kernel = try Fixtures.kernel("6.1")
        let content = try Fixtures.bytes(kernel.payload)
        let elf = try ELFFile(MappedFile(bytes: content))
        let elfSize = elf.fileExtent
        let table = try RelocationTable(collecting: try ELFFile(path: kernel.vmlinux), rules: .linux6_1)
        let delta: Int64 = 0x1E00_0000  // 480 MiB up, 2 MiB aligned

        var buffer = content + [UInt8](repeating: 0, count: 0x100_0000)
        var entry: UInt64 = 0, end = 0
        try buffer.withUnsafeMutableBytes { buffer in
            (entry, end) = try KernelPlacement.placeSegments(buffer, elfSize: elfSize, loadAddress: Self.loadAddress)
            // The table stays where decompression left it, at the end of the decompressed data.
            try KernelPlacement.relocate(buffer, tableEnd: content.count, kernelEnd: end,
                                         loadAddress: Self.loadAddress, delta: delta, hasInverseTable: true)
        }
        #expect(entry == elf.header.entry - Self.loadAddress)

        // Every segment's bytes are at p_paddr − load, except where a relocation patched them.
        var patched = Set<Int>()
        func offset(_ entry: UInt32) -> Int {
            Int(UInt64(bitPattern: Int64(Int32(bitPattern: entry))) &- KernelPlacement.kernelMap &- Self.loadAddress)
        }
        for e in table.r32 { let o = offset(e); for k in 0..<4 { patched.insert(o + k) } }
        for e in table.inverse32 { let o = offset(e); for k in 0..<4 { patched.insert(o + k) } }
        for e in table.r64 { let o = offset(e); for k in 0..<8 { patched.insert(o + k) } }
        var checked = 0
        for segment in elf.programHeaders where segment.type == ELF.SegmentType.load {
            let target = Int(segment.physicalAddress - Self.loadAddress), source = Int(segment.offset)
            for k in stride(from: 0, to: Int(segment.fileSize), by: 4093) where !patched.contains(target + k) {
                #expect(buffer[target + k] == content[source + k], "segment byte at \(target + k)")
                checked += 1
            }
        }
        #expect(checked > 10_000)
        #expect(end <= content.count + 0x100_0000)

        // Patched values moved by the delta (R64, R32) or against it (INV32), from the ELF's own bytes.
        func original64(_ o: Int) -> UInt64 { sourceValue(elf, content, o, UInt64.self) }
        for e in table.r64.prefix(2000) {
            #expect(buffer.get(UInt64.self, at: offset(e)) == original64(offset(e)) &+ UInt64(delta))
        }
        for e in table.r32.prefix(2000) {
            #expect(buffer.get(UInt32.self, at: offset(e)) == sourceValue(elf, content, offset(e), UInt32.self) &+ UInt32(delta))
        }
        for e in table.inverse32.prefix(2000) {
            #expect(buffer.get(UInt32.self, at: offset(e)) == sourceValue(elf, content, offset(e), UInt32.self) &- UInt32(delta))
        }
    }

    @Test func aTableEntryOutsideTheKernelIsRefused() throws {
        var buffer = [UInt8](repeating: 0, count: 64)
        buffer.put(UInt32(0x8200_0000), at: 60)  // R32 entry far beyond a 32-byte kernel
        #expect(throws: KernelPlacement.Failure.relocationOutside(entry: 0x8200_0000)) {
            try buffer.withUnsafeMutableBytes {
                try KernelPlacement.relocate($0, tableEnd: 64, kernelEnd: 32, loadAddress: Self.loadAddress,
                                             delta: 0x20_0000, hasInverseTable: true)
            }
        }
    }
}

/// The value at placed offset `o` before relocation: read from the ELF file bytes through its segments.
func sourceValue<T: FixedWidthInteger>(_ elf: ELFFile, _ content: [UInt8], _ o: Int, _: T.Type) -> T {
    for segment in elf.programHeaders where segment.type == ELF.SegmentType.load {
        let target = Int(segment.physicalAddress - 0x100_0000)
        if o >= target && o + MemoryLayout<T>.size <= target + Int(segment.fileSize) {
            return content.get(T.self, at: Int(segment.offset) + o - target)
        }
    }
    return 0
}
