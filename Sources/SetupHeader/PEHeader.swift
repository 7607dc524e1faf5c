/// The PE/COFF header an EFI-bootable bzImage carries in its boot sector (`MZ` at 0, `PE\0\0` at e_lfanew, the
/// COFF header, the PE32+ optional header with its data directories, the section table), as the kernel's
/// header.S lays it out and UEFI loaders, shim and the signing tools read it. Parsed from any image for
/// `--dump-header`, and encoded for ours. Offsets are from the PE signature unless said otherwise.
public struct PEHeader: Sendable, Equatable {
    public enum Magic {
        public static let mz: UInt16 = 0x5A4D         // "MZ"
        public static let pe: UInt32 = 0x0000_4550    // "PE\0\0"
        public static let pe32Plus: UInt16 = 0x20B
        /// LINUX_PE_MAGIC at file offset 0x38 (6.12: "EFI-bootable Linux for this machine").
        public static let linux: UInt32 = 0x8182_23CD
    }

    public enum Machine {
        public static let x86_64: UInt16 = 0x8664
        public static let i386: UInt16 = 0x014C
    }

    /// COFF Characteristics.
    public struct Characteristics: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let relocsStripped = Characteristics(rawValue: 0x0001)
        public static let executable = Characteristics(rawValue: 0x0002)
        public static let lineNumbersStripped = Characteristics(rawValue: 0x0004)
        public static let debugStripped = Characteristics(rawValue: 0x0200)
    }

    /// DllCharacteristics.
    public struct DllCharacteristics: OptionSet, Sendable, Hashable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let nxCompat = DllCharacteristics(rawValue: 0x0100)
    }

    /// A section header's Characteristics.
    public struct SectionFlags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let code = SectionFlags(rawValue: 0x0000_0020)
        public static let initializedData = SectionFlags(rawValue: 0x0000_0040)
        public static let uninitializedData = SectionFlags(rawValue: 0x0000_0080)
        public static let discardable = SectionFlags(rawValue: 0x0200_0000)
        public static let execute = SectionFlags(rawValue: 0x2000_0000)
        public static let read = SectionFlags(rawValue: 0x4000_0000)
        public static let write = SectionFlags(rawValue: 0x8000_0000)
    }

    public struct Section: Sendable, Equatable {
        public var name: String
        public var virtualSize: UInt32
        public var virtualAddress: UInt32
        public var rawSize: UInt32
        public var rawOffset: UInt32
        public var flags: SectionFlags
        public init(name: String, virtualSize: UInt32, virtualAddress: UInt32, rawSize: UInt32, rawOffset: UInt32,
                    flags: SectionFlags) {
            self.name = name
            self.virtualSize = virtualSize
            self.virtualAddress = virtualAddress
            self.rawSize = rawSize
            self.rawOffset = rawOffset
            self.flags = flags
        }
        public static let headerSize = 40
    }

    /// The data directories a signer or loader reads (indices into the optional header's table).
    public enum Directory {
        public static let certificates = 4
        public static let baseRelocations = 5
    }

    // File-level and COFF fields.
    public var peOffset: Int = 0x40
    public var linuxMagic: UInt32 = 0
    public var machine: UInt16 = Machine.x86_64
    public var characteristics: Characteristics = [.executable, .lineNumbersStripped, .debugStripped]
    // Optional header fields.
    public var sizeOfCode: UInt32 = 0
    public var sizeOfInitializedData: UInt32 = 0
    public var entryPoint: UInt32 = 0
    public var baseOfCode: UInt32 = 0
    public var imageBase: UInt64 = 0
    public var sectionAlignment: UInt32 = 0x1000
    public var fileAlignment: UInt32 = 0x200
    public var majorImageVersion: UInt16 = 0
    public var minorImageVersion: UInt16 = 0
    public var sizeOfImage: UInt32 = 0
    public var sizeOfHeaders: UInt32 = 0x1000
    public var checksum: UInt32 = 0
    public var subsystem: UInt16 = 10  // EFI application
    public var dllCharacteristics: DllCharacteristics = []
    /// (RVA or file offset, size) per directory; the kernel's header has 6, all empty until a signer fills 4.
    public var directories: [(UInt32, UInt32)] = Array(repeating: (0, 0), count: 6)
    public var sections: [Section] = []

    public static func == (a: PEHeader, b: PEHeader) -> Bool {
        a.encodedFields.map(\.0) == b.encodedFields.map(\.0) && a.encodedFields.map(\.1) == b.encodedFields.map(\.1)
    }

    public init() {}

    // Offsets from "PE\0\0": the COFF header, then the optional header.
    static let coff = 4, optional = 24
    static let optionalFixedSize = 112

    /// The header of `image`, or nil when it has no MZ/PE32+ header (a BIOS-only bzImage) or the header's tables
    /// do not fit the file.
    public init?(parsing image: UnsafeRawBufferPointer) {
        func u16(_ at: Int) -> UInt16? { at >= 0 && at + 2 <= image.count ? UInt16(littleEndian: image.loadUnaligned(fromByteOffset: at, as: UInt16.self)) : nil }
        func u32(_ at: Int) -> UInt32? { at >= 0 && at + 4 <= image.count ? UInt32(littleEndian: image.loadUnaligned(fromByteOffset: at, as: UInt32.self)) : nil }
        func u64(_ at: Int) -> UInt64? { at >= 0 && at + 8 <= image.count ? UInt64(littleEndian: image.loadUnaligned(fromByteOffset: at, as: UInt64.self)) : nil }
        guard u16(0) == Magic.mz, let lfanew = u32(0x3C), lfanew >= 0x40, lfanew < 0x1000, u32(Int(lfanew)) == Magic.pe
        else { return nil }
        let pe = Int(lfanew), opt = pe + Self.optional
        guard u16(opt) == Magic.pe32Plus, let count = u16(pe + Self.coff + 2), let optionalSize = u16(pe + Self.coff + 16),
              let directoryCount = u32(opt + 108), directoryCount <= 16,
              Int(optionalSize) == Self.optionalFixedSize + 8 * Int(directoryCount) else { return nil }
        let table = opt + Int(optionalSize)
        guard table + Int(count) * Section.headerSize <= image.count else { return nil }
        peOffset = pe
        linuxMagic = u32(0x38) ?? 0
        machine = u16(pe + Self.coff)!
        characteristics = Characteristics(rawValue: u16(pe + Self.coff + 18)!)
        sizeOfCode = u32(opt + 4)!
        sizeOfInitializedData = u32(opt + 8)!
        entryPoint = u32(opt + 16)!
        baseOfCode = u32(opt + 20)!
        imageBase = u64(opt + 24)!
        sectionAlignment = u32(opt + 32)!
        fileAlignment = u32(opt + 36)!
        majorImageVersion = u16(opt + 44)!
        minorImageVersion = u16(opt + 46)!
        sizeOfImage = u32(opt + 56)!
        sizeOfHeaders = u32(opt + 60)!
        checksum = u32(opt + 64)!
        subsystem = u16(opt + 68)!
        dllCharacteristics = DllCharacteristics(rawValue: u16(opt + 70)!)
        directories = (0..<Int(directoryCount)).map { (u32(opt + 112 + 8 * $0)!, u32(opt + 116 + 8 * $0)!) }
        sections = (0..<Int(count)).map { i in
            let at = table + i * Section.headerSize
            let name = String(decoding: (0..<8).map { image[at + $0] }.prefix { $0 != 0 }, as: UTF8.self)
            return Section(name: name, virtualSize: u32(at + 8)!, virtualAddress: u32(at + 12)!, rawSize: u32(at + 16)!,
                           rawOffset: u32(at + 20)!, flags: SectionFlags(rawValue: u32(at + 36)!))
        }
    }

    /// Where the section table ends (file offset): what must stay below the setup header's 0x1EF.
    public var tableEnd: Int {
        peOffset + Self.optional + Self.optionalFixedSize + 8 * directories.count + Section.headerSize * sections.count
    }

    /// The header's bytes at their file offsets (MZ at 0 … the end of the section table); the rest of the image
    /// is untouched.
    public func encode(into image: inout [UInt8]) {
        for (offset, bytes) in encodedFields { image.replaceSubrange(offset..<offset + bytes.count, with: bytes) }
    }

    /// (file offset, little-endian bytes) of every field, in file order.
    var encodedFields: [(Int, [UInt8])] {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let pe = peOffset, opt = pe + Self.optional
        var fields: [(Int, [UInt8])] = [
            (0, le(Magic.mz)), (0x38, le(linuxMagic)), (0x3C, le(UInt32(pe))), (pe, le(Magic.pe)),
            (pe + Self.coff, le(machine)), (pe + Self.coff + 2, le(UInt16(sections.count))),
            (pe + Self.coff + 4, le(UInt32(0))), (pe + Self.coff + 8, le(UInt32(0))), (pe + Self.coff + 12, le(UInt32(1))),
            (pe + Self.coff + 16, le(UInt16(Self.optionalFixedSize + 8 * directories.count))),
            (pe + Self.coff + 18, le(characteristics.rawValue)),
            (opt, le(Magic.pe32Plus)), (opt + 2, [0x02, 0x14]),  // linker version, as the kernel's header says it
            (opt + 4, le(sizeOfCode)), (opt + 8, le(sizeOfInitializedData)), (opt + 12, le(UInt32(0))),
            (opt + 16, le(entryPoint)), (opt + 20, le(baseOfCode)), (opt + 24, le(imageBase)),
            (opt + 32, le(sectionAlignment)), (opt + 36, le(fileAlignment)), (opt + 40, le(UInt32(0))),
            (opt + 44, le(majorImageVersion)), (opt + 46, le(minorImageVersion)), (opt + 48, le(UInt32(0))),
            (opt + 52, le(UInt32(0))), (opt + 56, le(sizeOfImage)), (opt + 60, le(sizeOfHeaders)),
            (opt + 64, le(checksum)), (opt + 68, le(subsystem)), (opt + 70, le(dllCharacteristics.rawValue)),
            (opt + 72, [UInt8](repeating: 0, count: 36)), (opt + 108, le(UInt32(directories.count))),
        ]
        for (i, directory) in directories.enumerated() {
            fields.append((opt + 112 + 8 * i, le(directory.0) + le(directory.1)))
        }
        let table = opt + Self.optionalFixedSize + 8 * directories.count
        for (i, section) in sections.enumerated() {
            let name = Array(section.name.utf8.prefix(8)) + [UInt8](repeating: 0, count: 8 - min(8, section.name.utf8.count))
            fields.append((table + i * Section.headerSize, name + le(section.virtualSize) + le(section.virtualAddress)
                + le(section.rawSize) + le(section.rawOffset) + [UInt8](repeating: 0, count: 12) + le(section.flags.rawValue)))
        }
        return fields
    }
}

extension PEHeader.SectionFlags {
    /// "r-x", "rw-", …: how a loader that honours NX_COMPAT maps the section.
    public var permissions: String {
        (contains(.read) ? "r" : "-") + (contains(.write) ? "w" : "-") + (contains(.execute) ? "x" : "-")
    }
}
