import Foundation
import SetupHeader
import Testing
import TestSupport

/// The PE/COFF header of Debian's EFI-stub kernels, read as UEFI loaders and signers read it, and written back
/// byte for byte.
@Suite struct PEHeaderTests {
    static func header(_ series: String) throws -> (PEHeader, [UInt8]) {
        let bytes = try Fixtures.bytes(try Fixtures.kernel(series).vmlinuz)
        return (try #require(bytes.withUnsafeBytes { PEHeader(parsing: $0) }), bytes)
    }

    @Test(arguments: ["6.1", "6.12"])
    func debianKernelsHeader(series: String) throws {
        let (pe, bytes) = try Self.header(series)
        #expect(pe.peOffset == 0x40 && pe.machine == PEHeader.Machine.x86_64)
        #expect(pe.characteristics == [.executable, .lineNumbersStripped, .debugStripped])
        #expect(pe.sectionAlignment == 0x1000 && pe.fileAlignment == 0x200 && pe.sizeOfHeaders == 0x1000)
        #expect(pe.dllCharacteristics.contains(.nxCompat) && pe.subsystem == 10)
        #expect(pe.majorImageVersion == (series == "6.1" ? 1 : 3) && pe.minorImageVersion == 0)
        #expect(pe.linuxMagic == (series == "6.1" ? 0 : PEHeader.Magic.linux))
        #expect(pe.sections.map(\.name) == [".setup", ".compat", ".text", ".data"])
        #expect(pe.tableEnd <= 0x1EF, "the section table runs into the setup header")
        // Sections in file order, gap-free from SizeOfHeaders, VA = file offset, code r-x and data rw-.
        var next = pe.sizeOfHeaders
        for section in pe.sections {
            #expect(section.virtualAddress == next && section.rawOffset == next, "\(section)")
            #expect(section.rawSize <= section.virtualSize && section.rawSize % pe.fileAlignment == 0)
            next = section.virtualAddress + section.virtualSize
        }
        #expect(pe.sections[2].flags.permissions == "r-x" && pe.sections[3].flags.permissions == "rw-")
        #expect(pe.sizeOfImage == next)
        let setupSize = (Int(bytes[0x1F1]) + 1) * 512
        #expect(pe.sections[2].rawOffset == UInt32(setupSize) && pe.baseOfCode == UInt32(setupSize))
        #expect(pe.entryPoint > UInt32(setupSize) && pe.entryPoint < pe.sections[3].virtualAddress)
        // The signed 6.1 image has its certificate table in directory 4; 6.12 is the unsigned build.
        let (offset, size) = pe.directories[PEHeader.Directory.certificates]
        #expect(series == "6.1" ? (size > 0 && Int(offset) + Int(size) <= bytes.count) : (offset, size) == (0, 0))
        #expect(pe.directories[PEHeader.Directory.baseRelocations] == (0, 0))
    }

    @Test(arguments: ["6.1", "6.12"])
    func encodingGivesTheKernelsBytesBack(series: String) throws {
        let (pe, bytes) = try Self.header(series)
        var copy = bytes
        copy.replaceSubrange(0..<pe.tableEnd, with: [UInt8](repeating: 0, count: pe.tableEnd))
        pe.encode(into: &copy)
        #expect(Array(copy[..<pe.tableEnd]) == Array(bytes[..<pe.tableEnd]))
        #expect(copy.withUnsafeBytes { PEHeader(parsing: $0) } == pe)
    }

    @Test func noHeaderTruncatedOrInconsistent() throws {
        let (pe, bytes) = try Self.header("6.12")
        #expect(Array(repeating: UInt8(0xFF), count: 4096).withUnsafeBytes { PEHeader(parsing: $0) } == nil)
        #expect(Array(bytes.prefix(0x100)).withUnsafeBytes { PEHeader(parsing: $0) } == nil)  // table cut off
        var wrongSize = bytes
        wrongSize.put(UInt16(0xA8), at: pe.peOffset + 20)  // SizeOfOptionalHeader ≠ 112 + 8 × directories
        #expect(wrongSize.withUnsafeBytes { PEHeader(parsing: $0) } == nil)
        var pe32 = bytes
        pe32.put(UInt16(0x10B), at: pe.peOffset + 24)
        #expect(pe32.withUnsafeBytes { PEHeader(parsing: $0) } == nil)
    }

    @Test func dumpHeaderShowsTheSections() throws {
        let vmlinuz = try Fixtures.kernel("6.12").vmlinuz
        let text = String(decoding: try CommandRunner.run(["--dump-header", vmlinuz]).stdout, as: UTF8.self)
        #expect(text.contains("PE32+: machine 0x8664, entry 0x"), "\(text)")
        #expect(text.contains(".text") && text.contains("r-x") && text.contains("image version 3.0, NX_COMPAT"))
        let json = try CommandRunner.run(["--dump-header", vmlinuz, "--json"]).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        let pe = try #require(object["pe"] as? [String: Any])
        #expect((pe["sections"] as? [[String: Any]])?.map { $0["name"] as? String } == [".setup", ".compat", ".text", ".data"])
        #expect(pe["major_image_version"] as? Int == 3)
    }
}
