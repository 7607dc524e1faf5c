import SetupHeader
import Testing
import TestSupport

@Suite struct SetupHeaderModelTests {
    @Test func fieldsTileTheHeaderWithoutGapsOrOverlaps() {
        var next = SetupHeader.start
        for field in SetupHeader.Field.allCases {
            #expect(field.offset == next, "\(field) at 0x\(String(field.offset, radix: 16))")
            next = field.offset + field.width
        }
        #expect(next == SetupHeader.end)
    }

    @Test func encodeAndDecodeAreExact() {
        var header = SetupHeader()
        header[.setup_sects] = 39
        header[.header] = UInt64(SetupHeader.magic)
        header[.version] = 0x20F
        header[.xloadflags] = 0x7F
        header[.pref_address] = 0x100_0000
        header[.init_size] = 0x337_7000
        var image = [UInt8](repeating: 0xEE, count: 0x400)
        header.encode(into: &image)
        #expect(image[0x1F1] == 39 && image[0x202..<0x206].elementsEqual(Array("HdrS".utf8)))
        #expect(image[0x260..<0x264].elementsEqual([0x00, 0x70, 0x37, 0x03]))
        #expect(image[0x1F0] == 0xEE && image[0x26C] == 0xEE)
        let decoded = image.withUnsafeBytes { SetupHeader(image: $0) }
        #expect(decoded == header)
        #expect(decoded.xLoadFlags.names == ["XLF_KERNEL_64", "XLF_CAN_BE_LOADED_ABOVE_4G", "XLF_EFI_HANDOVER_32",
                                             "XLF_EFI_HANDOVER_64", "XLF_EFI_KEXEC", "XLF_5LEVEL", "XLF_5LEVEL_ENABLED"])
        #expect(decoded.setupSize == 0x5000)
    }


    @Test func initSizeOfTheDebianKernels() {
        // kernel-pipeline.md §I: 6.1 (LZ4) and 6.12 (zstd).
        let debian61 = InitSize(zoEnd: 0xDC_0000, zoHeadEnd: 0x2CC, inputLength: 14_036_019, outputLength: 53_242_312,
                                kernelSize: 0xFFFF_FFFF_8383_0000 - 0xFFFF_FFFF_8100_0000)
        #expect(debian61.extra == 339_049)
        #expect(debian61.extractOffset == 0x25B_69FE)
        #expect(debian61.minimumExtractOffset == 0x25B_7000)
        #expect(debian61.value == 0x337_7000)
        let debian612 = InitSize(zoEnd: 0xB7_7000, zoHeadEnd: 0x2CC, inputLength: 11_378_974, outputLength: 57_573_800,
                                 kernelSize: 0x2C3_0000)
        #expect(debian612.value == 0x37D_C000)
        // When the kernel is bigger than the decompressor's needs, it decides.
        let small = InitSize(zoEnd: 0x1000, zoHeadEnd: 0x2CC, inputLength: 100, outputLength: 1000, kernelSize: 0x400_0000)
        #expect(small.value == 0x400_0000)
    }

    @Test func kernelInfoRoundTrips() {
        let info = KernelInfo(setupTypeMax: KernelInfo.linuxSetupTypeMax)
        #expect(info.encoded.prefix(4).elementsEqual(Array("LToP".utf8)))
        #expect(info.encoded.withUnsafeBytes { KernelInfo(image: $0, offset: 0) } == info)
    }
}

@Suite struct DebianImageTests {
    @Test func debian61() throws {
        let bytes = try Fixtures.bytes(try Fixtures.kernel("6.1").vmlinuz)
        let image = bytes.withUnsafeBytes { BzImage(image: $0) }
        let h = image.header
        #expect(h[.setup_sects] == 39 && h[.version] == 0x20F && h[.init_size] == 0x337_7000)
        #expect(h[.kernel_alignment] == 0x20_0000 && h[.pref_address] == 0x100_0000 && h[.xloadflags] == 0x7F)
        #expect(h[.payload_length] == 0xD6_2C33 && h[.cmdline_size] == 2047)
        #expect(image.crcMatches && image.bootSector.isSigned && image.compression == "lz4")
        #expect(image.uncompressedSize == 53_242_312)
        #expect(image.kernelVersion?.hasPrefix("6.1.0-53-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP") == true)
        #expect(image.kernelInfo?.setupTypeMax == KernelInfo.linuxSetupTypeMax)
        #expect(!image.findings.contains { $0.severity != .note }, "\(image.findings)")
        // The header alone gives ZO__end back (§I): init_size − the in-place offset.
        let rule = InitSize(zoEnd: 0, zoHeadEnd: 0, inputLength: h[.payload_length], outputLength: 53_242_312, kernelSize: 0)
        #expect(h[.init_size] - rule.minimumExtractOffset == 0xDC_0000)
    }

    @Test func debian612() throws {
        let bytes = try Fixtures.bytes(try Fixtures.kernel("6.12").vmlinuz)
        let image = bytes.withUnsafeBytes { BzImage(image: $0) }
        #expect(image.header[.init_size] == 0x37D_C000)
        #expect(image.crcMatches && !image.bootSector.isSigned && image.compression == "zstd")
        #expect(image.kernelVersion?.hasPrefix("6.12.") == true)
        #expect(!image.findings.contains { $0.severity != .note }, "\(image.findings)")
    }

    @Test func jsonHasOneIntegerKeyPerField() throws {
        let bytes = try Fixtures.bytes(try Fixtures.kernel("6.1").vmlinuz)
        let json = bytes.withUnsafeBytes { BzImage(image: $0) }.jsonReport(name: "vmlinuz")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        for field in SetupHeader.Field.allCases { #expect(object[field.rawValue] is Int, "\(field)") }
        #expect(object["init_size"] as? Int == 0x337_7000)
        #expect(object["crc_ok"] as? Bool == true && object["signed"] as? Bool == true)
        #expect(object["compression"] as? String == "lz4")
    }
}

/// Damaged images give findings, never a trap.
@Suite struct BadImageTests {
    static func read(_ bytes: [UInt8]) -> BzImage { bytes.withUnsafeBytes { BzImage(image: $0) } }

    static func errors(_ image: BzImage) -> [String] { image.findings.filter { $0.severity == .error }.map(\.message) }

    @Test func truncatedAtManyPoints() throws {
        let bytes = try Fixtures.bytes(try Fixtures.kernel("6.1").vmlinuz)
        var generator = SeededGenerator(seed: 3)
        let cuts = [0, 1, 511, 512, 0x1F1, 0x202, 0x26C, 1023, 1024, 0x5000, 0x52CC, 0x5300]
            + (0..<40).map { _ in Int.random(in: 0x5300..<0xD80200, using: &generator) } + [0xD80200 - 1]
        for cut in cuts {
            let image = Self.read(Array(bytes.prefix(cut)))
            #expect(!Self.errors(image).isEmpty, "cut at \(cut) gave no error finding")
        }
    }

    @Test func corruptHeaders() throws {
        let good = Array(try Fixtures.bytes(try Fixtures.kernel("6.1").vmlinuz).prefix(0xD80200))
        var noMagic = good
        noMagic[0x202] = 0
        #expect(Self.errors(Self.read(noMagic)).first?.contains("HdrS") == true)
        var payloadPastEnd = good
        payloadPastEnd.put(UInt32(0xFFFF_0000), at: 0x24C)
        #expect(Self.errors(Self.read(payloadPastEnd)).contains { $0.contains("payload") })
        var noSetupSects = good
        noSetupSects[0x1F1] = 0
        #expect(Self.read(noSetupSects).findings.contains { $0.message.contains("setup_sects is 0") })
        var flipped = good
        flipped[0x10_0000] ^= 0xFF
        #expect(Self.read(flipped).findings.contains { $0.message.contains("CRC-32 mismatch") })
        var tinyInitSize = good
        tinyInitSize.put(UInt32(0x1000), at: 0x260)
        #expect(Self.read(tinyInitSize).findings.contains { $0.message.contains("init_size") && $0.loaders.contains(.kexec) })
        var notHigh = good
        notHigh[0x211] = 0
        #expect(Self.read(notHigh).findings.contains { $0.message.contains("LOADED_HIGH") && $0.loaders.contains(.grub) })
    }

    @Test func randomBytesAndMutationsNeverTrap() throws {
        var generator = SeededGenerator(seed: 11)
        let random = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(!Self.errors(Self.read(random)).isEmpty)
        let good = Array(try Fixtures.bytes(try Fixtures.kernel("6.1").vmlinuz).prefix(0x8000))
        for round in 0..<3_000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                bytes[Int.random(in: 0x1F0..<0x270, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let image = Self.read(bytes)
            // Cut at 32 KiB, the image always has findings (its protected-mode image is not all there).
            #expect(!image.findings.isEmpty, "round \(round): no findings")
            // The text report: its first line names the file and its size, and it lists every finding.
            let text = image.textReport(name: "x")
            #expect(text.hasPrefix("x: \(bytes.count) bytes, setup \(image.setupSize) bytes"), "round \(round)")
            let unlisted = image.findings.filter { !text.contains("\n  \($0)\n") }
            #expect(unlisted.isEmpty, "round \(round): the text report omits \(unlisted)")
            // The JSON report parses (whatever bytes the version string points at), and says what the image says.
            let json = image.jsonReport(name: "x")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                                      "round \(round): not a JSON object:\n\(json)")
            #expect(object["file"] as? String == "x" && object["file_size"] as? Int == bytes.count, "round \(round)")
            let findings = try #require(object["findings"] as? [[String: Any]], "round \(round): no findings array")
            #expect(findings.map { $0["message"] as? String } == image.findings.map(\.message), "round \(round)")
            #expect(findings.map { $0["severity"] as? String } == image.findings.map(\.severity.rawValue), "round \(round)")
            #expect(findings.map { $0["refused_by"] as? [String] } == image.findings.map { $0.loaders.map(\.rawValue) },
                    "round \(round)")
            // Every header field under its own name, as the integer the header holds (exact below 2^53).
            let wrong = SetupHeader.Field.allCases.filter { field in
                let value = image.header[field]
                return value < 1 << 53 && (object[field.rawValue] as? NSNumber)?.uint64Value != value
            }
            #expect(wrong.isEmpty, "round \(round): JSON fields \(wrong) differ from the header")
        }
    }
}

import Foundation
