import SetupHeader
import StubAsm
import StubCore

/// The protected-mode image, laid out like the kernel's decompressor so the header formulas apply to it:
/// `startup_32` at 0, `startup_64` at 0x200 (the head, which decompression overwrites), the payload, the code and
/// data used after the move, the Swift stub, up to `_edata` (512-aligned, with room for the CRC), then bss: the
/// decoder's workspace, the IDT, the stack and the page tables up to `_end`.
struct ProtectedModeImage {
    var bytes: [UInt8]      // [0, _edata)
    var headEnd: Int        // end of the entry code: where the payload starts
    var payloadOffset: Int
    var kernelInfoOffset: Int
    var end: Int            // _end
    var symbols: [(name: String, offset: Int)]
    /// An image for UEFI: where its PE entry and its copy of the setup header are.
    var efi: (entry: Int, handover: Int, header: Int, sbat: Int?)?

    /// The boot protocol's 64-bit entry: startup_32 + 0x200.
    static let startup64Offset = 0x200
    static let stackSize = 0x4000
    static let trapVectors = 32
    static let trapEntrySize = 16

    struct Parameters {
        var payload: [UInt8]
        var format: PayloadFormat
        var outputLength: Int
        var loadAddress: UInt64
        var alignment: UInt64
        /// KASLR: how many kernel_alignment steps the virtual base may move (0: it stays).
        var virtualSlots: Int
        var inverseTable: Bool
        /// Carry the EFI entry (a PE/COFF image), and with it a `.sbat` section of these bytes.
        var efi = false
        var sbat: [UInt8]? = nil
    }

    /// The image, top to bottom; each stage is in the file named after it.
    static func assemble(_ p: Parameters) throws(AssemblerError) -> ProtectedModeImage {
        var image = ImageAssembly(p)
        // The head: both entries and the move. Decompression overwrites it.
        image.startup_32()             // Startup32.swift: long mode check, 4 GiB identity map, into long mode
        image.startup_64()             // Startup64.swift: the 64-bit entry, the output, the move (Move.swift)
        image.payloadBytes()           // ImageData.swift
        // Everything that runs or is read after the move lives past the payload.
        image.relocated()              // Relocated.swift: GDT, bss, IDT, page tables, the stub, the kernel
        image.trapHandlers()           // Traps.swift
        image.hexDigitsRoutine()       // Console.swift
        image.reportRoutine()
        image.findSerialPortRoutine()  // CommandLineScan.swift
        image.chooseVirtualBaseRoutine()  // KASLR.swift
        image.findWordRoutine()        // CommandLineScan.swift
        image.pageTables64()           // PageTables.swift
        image.data()                   // ImageData.swift: descriptors, slots, parameters, kernel_info, messages
        image.stubBytes()              // ImageData.swift: the Swift stub
        if let efi = image.efi {
            image.efiEntry(efi, stub: .efi)  // EFIEntry.swift: the PE entry, its firmware thunk and Swift half
            if let sbat = p.sbat { image.sbatData(sbat, efi) }
        }
        image.bss()                    // ImageData.swift: _edata, bss, _end
        return try image.finish()
    }
}
