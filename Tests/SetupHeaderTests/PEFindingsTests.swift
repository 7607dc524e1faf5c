import Foundation
import SetupHeader
import Testing
import TestSupport

/// Each PE/COFF check: a real, valid header (Debian's 6.12 vmlinuz; the signed 6.1 one for the certificate table)
/// with one field changed gives that check's finding and names the consumers that refuse it; real images give none.
@Suite struct PEFindingsTests {
    static func base(_ series: String = "6.12") throws -> (PEHeader, [UInt8]) { try PEHeaderTests.header(series) }

    static func findings(_ bytes: [UInt8]) -> [Finding] { bytes.withUnsafeBytes { BzImage(image: $0).findings } }

    /// The findings `change` adds to `series`' own (a changed header also changes the CRC-32: not counted).
    static func added(by change: (inout PEHeader) -> Void, series: String = "6.12") throws -> [Finding] {
        var (pe, bytes) = try base(series)
        let before = findings(bytes)
        change(&pe)
        pe.encode(into: &bytes)
        return findings(bytes).filter { !before.contains($0) && !$0.message.hasPrefix("CRC-32 mismatch") }
    }

    /// `change` adds exactly one finding: this one.
    static func expectOnly(_ change: (inout PEHeader) -> Void, _ severity: Finding.Severity, _ text: String,
                           _ loaders: [Loader], series: String = "6.12", sourceLocation: SourceLocation = #_sourceLocation) throws {
        let added = try added(by: change, series: series)
        #expect(added.count == 1, "\(added)", sourceLocation: sourceLocation)
        expect(added, severity, text, loaders, sourceLocation: sourceLocation)
    }

    /// `change` adds this finding among others that the same change implies.
    static func expectAmong(_ change: (inout PEHeader) -> Void, _ severity: Finding.Severity, _ text: String,
                            _ loaders: [Loader], series: String = "6.12", sourceLocation: SourceLocation = #_sourceLocation) throws {
        expect(try added(by: change, series: series), severity, text, loaders, sourceLocation: sourceLocation)
    }

    static func expect(_ findings: [Finding], _ severity: Finding.Severity, _ text: String, _ loaders: [Loader],
                       sourceLocation: SourceLocation) {
        #expect(findings.contains { $0.severity == severity && $0.message.contains(text) && $0.loaders == loaders },
                "no \(severity) “\(text)” refused by \(loaders) in \(findings)", sourceLocation: sourceLocation)
    }

    // MARK: identity

    @Test func machineNotX8664() throws {
        try Self.expectOnly({ $0.machine = PEHeader.Machine.i386 }, .error, "is not x86-64", Loader.peLoaders)
    }

    @Test func notPE32Plus() throws {
        let (pe, original) = try Self.base()
        var bytes = original
        bytes.put(UInt16(0x10B), at: pe.peOffset + 24)  // PE32 magic: the optional header no longer parses
        let findings = Self.findings(bytes)
        #expect(findings.contains(PEHeader.malformed) && PEHeader.malformed.loaders == Loader.peLoaders + [.sbsign])
        #expect(bytes.withUnsafeBytes { BzImage(image: $0) }.pe == nil)
    }

    @Test func subsystemNotEFIApplication() throws {
        try Self.expectOnly({ $0.subsystem = 11 }, .error, "subsystem 11 is not 10", [.ovmfLoadImage, .grubEFI])
    }

    @Test func relocationsStripped() throws {
        try Self.expectOnly({ $0.characteristics.insert(.relocsStripped) }, .error, "RELOCS_STRIPPED", [.shim, .ovmfLoadImage])
    }

    @Test func baseRelocationsPresent() throws {
        try Self.expectOnly({ $0.directories[PEHeader.Directory.baseRelocations] = (0xB1_5000, 12) }, .warning,
                            "base relocation directory is not empty", [.systemdStub])
    }

    @Test func noNXCompat() throws {
        try Self.expectOnly({ $0.dllCharacteristics = [] }, .note, "lacks NX_COMPAT", [.shim])
    }

    // MARK: entry point

    @Test func entryPointZero() throws {
        try Self.expectOnly({ $0.entryPoint = 0 }, .error, "AddressOfEntryPoint is 0", Loader.peLoaders)
    }

    @Test func entryPointInData() throws {
        try Self.expectOnly({ $0.entryPoint = $0.sections[3].virtualAddress + 0x10 }, .error,
                            "is in section .data, which is not executable", [.shim, .ovmfLoadImage])
    }

    @Test func entryPointInNoSection() throws {
        try Self.expectOnly({ $0.entryPoint = $0.sizeOfImage + 0x10 }, .error, "lies in no section", [.shim, .systemdStub])
    }

    // MARK: sections

    @Test func virtualAddressNotAligned() throws {
        // .data moved by 0x200 (end kept): its own finding, and the uncovered 0x200 before it.
        try Self.expectAmong({ $0.sections[3].virtualAddress += 0x200; $0.sections[3].virtualSize -= 0x200 }, .warning,
                             "section .data VirtualAddress 0xb15200 is not SectionAlignment", [])
        // A code section that cannot be mapped RO+X on its own pages: systemd-stub ≥ 258 refuses.
        try Self.expectAmong({ $0.sections[2].virtualAddress += 0x200; $0.sections[2].virtualSize -= 0x200 }, .warning,
                             "section .text VirtualAddress 0x5200 is not SectionAlignment", [.systemdStub])
    }

    @Test func writableAndExecutable() throws {
        try Self.expectOnly({ $0.sections[2].flags.insert(.write) }, .error, "section .text is writable and executable",
                            [.ovmfLoadImage, .systemdStub, .shim])
    }

    @Test func rawSizeAboveVirtualSize() throws {
        try Self.expectOnly({ $0.sections[1].virtualSize = 0x800 }, .error, "section .compat SizeOfRawData 0x1000 exceeds VirtualSize 0x800",
                            [.systemdStub])
    }

    @Test func rawDataPastTheEnd() throws {
        let size = UInt32(try Self.base().1.count)
        try Self.expectAmong({ $0.sections[3].rawOffset = (size + 0x1FF) & ~0x1FF }, .error, "runs past the end of the file",
                             Loader.peLoaders + [.sbsign])
    }

    @Test func rawDataNotFileAligned() throws {
        try Self.expectAmong({ $0.sections[3].rawOffset += 4 }, .warning, "section .data PointerToRawData 0xb15004 is not FileAlignment", [])
    }

    @Test func sectionsOverlap() throws {
        try Self.expectOnly({ $0.sections[3].virtualAddress -= 0x1000 }, .error, "sections .text and .data overlap in memory", [])
    }

    @Test func gapInMemory() throws {
        try Self.expectAmong({ $0.sections[3].virtualAddress += 0x1000 }, .warning, "no section covers 0xb15000–0xb16000, before .data", [])
    }

    @Test func gapInTheFile() throws {
        try Self.expectAmong({ $0.sections[1].rawOffset = 0x4200 }, .warning, "section .compat raw data starts at 0x4200, not where .setup ends",
                             [.sbsign])
    }

    // MARK: SizeOfImage, SizeOfHeaders

    @Test func sizeOfImageShort() throws {
        try Self.expectOnly({ $0.sizeOfImage -= 0x1000 }, .error, "does not cover section .data", Loader.peLoaders)
    }

    @Test func sizeOfImageNotAligned() throws {
        try Self.expectOnly({ $0.sizeOfImage += 0x10 }, .warning, "is not a multiple of SectionAlignment", [])
    }

    @Test func sizeOfHeadersBeforeTheTable() throws {
        try Self.expectAmong({ $0.sizeOfHeaders = 0 }, .error, "ends before the section table", [.ovmfLoadImage, .grubEFI, .shim])
    }

    @Test func sizeOfHeadersIntoASection() throws {
        try Self.expectAmong({ $0.sizeOfHeaders = 0x2000 }, .error, "runs into section .setup", [.shim])
    }

    @Test func sizeOfHeadersNotFileAligned() throws {
        try Self.expectAmong({ $0.sizeOfHeaders = 0xF00 }, .warning, "SizeOfHeaders 0xf00 is not a multiple of FileAlignment", [])
    }

    // MARK: image version

    @Test func imageVersionZero() throws {
        // Debian's image has the handover entry: loaders take it instead of LoadImage.
        try Self.expectOnly({ $0.majorImageVersion = 0 }, .note, "MajorImageVersion 0", [])
        // Without one, systemd-stub has no way in.
        var pe = try Self.base().0
        pe.majorImageVersion = 0
        Self.expect(pe.findings(fileSize: try Self.base().1.count, handoverEntry: false), .warning, "no EFI handover entry",
                    [.systemdStubHandover], sourceLocation: #_sourceLocation)
    }

    // MARK: certificate table (the signed 6.1 image)

    @Test func certificateTablePastTheEnd() throws {
        try Self.expectAmong({ $0.directories[PEHeader.Directory.certificates].1 += 8 }, .error, "runs past the end of the file",
                             [.ovmfLoadImage, .shim, .sbsign], series: "6.1")
    }

    @Test func certificateTableNotAligned() throws {
        try Self.expectAmong({ $0.directories[PEHeader.Directory.certificates].0 += 4; $0.directories[PEHeader.Directory.certificates].1 -= 4 },
                             .error, "is not 8-byte aligned", [.ovmfLoadImage, .sbsign], series: "6.1")
    }

    @Test func certificateTableNotAtTheEnd() throws {
        try Self.expectAmong({ $0.directories[PEHeader.Directory.certificates].1 -= 8 }, .error, "does not end at the end of the file",
                             [.shim], series: "6.1")
    }

    @Test func signatureNotedOnce() throws {
        let findings = Self.findings(try Self.base("6.1").1)
        #expect(findings.filter { $0.message.lowercased().contains("signature") || $0.message.contains("signed") }.count == 1, "\(findings)")
    }

    // MARK: real images: notes at most

    @Test(arguments: ["6.1", "6.12"])
    func debianKernelsHaveNoPEWarnings(series: String) throws {
        let (pe, bytes) = try Self.base(series)
        let findings = pe.findings(fileSize: bytes.count, handoverEntry: true)
        #expect(findings.isEmpty, "\(findings)")
        #expect(!Self.findings(bytes).contains { $0.severity != .note })
    }

    @Test func ourDefaultImageHasNoPEWarnings() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let built = try CommandRunner.run(["build", try Fixtures.kernel("6.1").vmlinux, "-o", dir.file("bzImage")])
        #expect(built.status == 0, "\(built.stderr)")
        let bytes = try Fixtures.bytes(dir.file("bzImage"))
        let pe = try #require(bytes.withUnsafeBytes { PEHeader(parsing: $0) })
        #expect(pe.findings(fileSize: bytes.count, handoverEntry: true).isEmpty)
        let findings = Self.findings(bytes)
        #expect(!findings.contains { $0.severity != .note }, "\(findings)")
    }

    /// The JSON report carries a PE finding with its consumers, and the error sets the exit status.
    @Test func jsonCarriesPEFindings() throws {
        var (pe, bytes) = try Self.base()
        pe.sections[2].flags.insert(.write)
        pe.encode(into: &bytes)
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try Data(bytes).write(to: URL(fileURLWithPath: dir.file("rwx")))
        let result = try CommandRunner.run(["--dump-header", dir.file("rwx"), "--json"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        let findings = try #require(object["findings"] as? [[String: Any]])
        let rwx = try #require(findings.first { ($0["message"] as? String)?.contains("writable and executable") == true })
        #expect(rwx["severity"] as? String == "error")
        #expect(rwx["refused_by"] as? [String] == ["OVMF LoadImage", "systemd-stub ≥ 258", "shim"])
    }
}
