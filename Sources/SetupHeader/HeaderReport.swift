/// `--dump-header`: the setup header as a table (offset, field, value, meaning) followed by the findings, or as
/// stable JSON with one key per field named as in the boot protocol.
extension BzImage {
    public func textReport(name: String) -> String {
        var lines = ["\(name): \(size) bytes, setup \(setupSize) bytes, protected-mode image \(protectedModeSize) bytes"]
        lines.append("offset  field                  value               meaning")
        for field in SetupHeader.Field.allCases where field.since <= max(header.version, 0x200) || field.offset < 0x200 {
            let value = header[field]
            let shown = field.width == 1 || field == .version || field == .setup_sects ? "\(value)" : hexString(value)
            let offset = "0x" + String(field.offset, radix: 16)
            lines.append(pad(offset, 8) + pad(field.rawValue, 23) + pad(shown, 20) + meaning(field))
        }
        lines.append("")
        if let kernelVersion { lines.append("kernel version: \(kernelVersion)") }
        if let range = payloadRange {
            let declared = uncompressedSize.map { ", declares \(sizeString($0)) uncompressed" } ?? ""
            lines.append("payload: \(compression ?? "unknown format") at file offset 0x\(String(range.lowerBound, radix: 16)), \(sizeString(range.count))\(declared)")
        }
        if let crc {
            lines.append("crc32: stored 0x\(String(crc.stored, radix: 16)), computed 0x\(String(crc.computed, radix: 16)) — \(crc.stored == crc.computed ? "ok" : "MISMATCH")")
        }
        let pe = bootSector.peOffset.map { "MZ/PE header at 0x\(String($0, radix: 16))" } ?? "no MZ/PE header"
        let signature = bootSector.signature.map { "signed (Authenticode, \($0.size) bytes at 0x\(String($0.offset, radix: 16)))" } ?? "not signed"
        lines.append("boot sector: \(pe), \(signature)")
        if let header = self.pe { lines += header.textLines }
        if let info = kernelInfo {
            lines.append("kernel_info: LToP, size \(info.headerSize), total \(info.totalSize), setup_type_max \(hexString(UInt64(info.setupTypeMax)))")
        }
        lines.append("")
        if findings.isEmpty {
            lines.append("findings: none")
        } else {
            lines.append("findings:")
            lines += findings.map { "  \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a field's value means, for the table.
    func meaning(_ field: SetupHeader.Field) -> String {
        let value = header[field]
        switch field {
        case .setup_sects: return "\(setupSize) bytes of setup incl. the boot sector"
        case .syssize: return "protected-mode image \(sizeString(Int(value) * 16))"
        case .root_flags: return value == 1 ? "read-only root" : ""
        case .vid_mode: return [0xFFFF: "NORMAL_VGA", 0xFFFE: "EXTENDED_VGA", 0xFFFD: "ASK_VGA"][value] ?? ""
        case .boot_flag: return value == UInt64(SetupHeader.bootFlag) ? "ok" : "bad (want 0xaa55)"
        case .jump: return "header ends at 0x\(String(header.declaredHeaderEnd, radix: 16))"
        case .header: return header.hasMagic ? "\"HdrS\"" : "not \"HdrS\""
        case .version: return "protocol \(value >> 8).\(String(format2: UInt16(value & 0xFF)))"
        case .kernel_version: return kernelVersion.map { "\"\($0.prefix(40))\($0.count > 40 ? "…" : "")\"" } ?? ""
        case .loadflags: return header.loadFlags.names.joined(separator: "|")
        case .xloadflags: return header.xLoadFlags.names.joined(separator: "|")
        case .relocatable_kernel: return value != 0 ? "yes" : "no"
        case .min_alignment: return value < 64 ? sizeString(1 << Int(value)) : "invalid"
        case .kernel_alignment, .init_size, .setup_move_size: return sizeString(Int(value))
        case .payload_length: return sizeString(Int(value)) + (compression.map { ", \($0)" } ?? "")
        case .payload_offset: return "file offset 0x\(String(setupSize + Int(value), radix: 16))"
        case .cmdline_size: return "\(value) characters"
        case .kernel_info_offset: return kernelInfo != nil ? "\"LToP\" ok" : ""
        case .type_of_loader: return value == 0 ? "(set by the loader)" : ""
        default: return ""
        }
    }

    /// Stable JSON: every header field by its boot-protocol name, numbers as integers, then what was derived.
    public func jsonReport(name: String) -> String {
        var members: [(String, String)] = [("file", json(name)), ("file_size", "\(size)")]
        for field in SetupHeader.Field.allCases { members.append((field.rawValue, "\(header[field])")) }
        members.append(("setup_size", "\(setupSize)"))
        members.append(("protected_mode_size", "\(protectedModeSize)"))
        members.append(("loadflags_names", json(header.loadFlags.names)))
        members.append(("xloadflags_names", json(header.xLoadFlags.names)))
        members.append(("kernel_version_string", kernelVersion.map(json) ?? "null"))
        members.append(("compression", compression.map(json) ?? "null"))
        members.append(("payload_file_offset", payloadRange.map { "\($0.lowerBound)" } ?? "null"))
        members.append(("uncompressed_size", uncompressedSize.map { "\($0)" } ?? "null"))
        members.append(("crc32_stored", crc.map { "\($0.stored)" } ?? "null"))
        members.append(("crc32_computed", crc.map { "\($0.computed)" } ?? "null"))
        members.append(("crc_ok", crc == nil ? "null" : "\(crcMatches)"))
        members.append(("pe_header", "\(bootSector.peOffset != nil)"))
        members.append(("signed", "\(bootSector.isSigned)"))
        members.append(("pe", pe?.jsonObject ?? "null"))
        members.append(("kernel_info", kernelInfo.map {
            "{\"header_size\": \($0.headerSize), \"total_size\": \($0.totalSize), \"setup_type_max\": \($0.setupTypeMax)}"
        } ?? "null"))
        let findingsJSON = findings.map { finding in
            "{\"severity\": \(json(finding.severity.rawValue)), \"message\": \(json(finding.message)), \"refused_by\": \(json(finding.loaders.map(\.rawValue)))}"
        }
        members.append(("findings", "[" + findingsJSON.joined(separator: ", ") + "]"))
        return "{\n" + members.map { "  \(json($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }
}

func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count) }

func hexString<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }

/// "14036019 bytes (13.39 MiB)"
func sizeString(_ bytes: Int) -> String {
    let mib = Double(bytes) / 1_048_576
    let rounded = (mib * 100).rounded() / 100
    return "\(bytes) bytes (\(rounded) MiB)"
}

func json(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

func json(_ list: [String]) -> String { "[" + list.map(json).joined(separator: ", ") + "]" }

extension PEHeader {
    /// The PE/COFF facts a UEFI loader or signer acts on, and the section table.
    var textLines: [String] {
        var lines = ["PE32+: machine 0x\(String(machine, radix: 16)), entry 0x\(String(entryPoint, radix: 16)), "
            + "SizeOfImage 0x\(String(sizeOfImage, radix: 16)), SizeOfHeaders 0x\(String(sizeOfHeaders, radix: 16)), "
            + "image version \(majorImageVersion).\(minorImageVersion)"
            + (dllCharacteristics.contains(.nxCompat) ? ", NX_COMPAT" : "")
            + (linuxMagic == Magic.linux ? ", LINUX_PE_MAGIC" : "")]
        lines.append("  section   VirtualAddress  VirtualSize  file offset  raw size   flags")
        for s in sections {
            lines.append("  " + pad(s.name, 10) + pad(hexString(UInt64(s.virtualAddress)), 16) + pad(hexString(UInt64(s.virtualSize)), 13)
                + pad(hexString(UInt64(s.rawOffset)), 13) + pad(hexString(UInt64(s.rawSize)), 11) + s.flags.permissions)
        }
        return lines
    }

    var jsonObject: String {
        let list = sections.map {
            "{\"name\": \(json($0.name)), \"virtual_address\": \($0.virtualAddress), \"virtual_size\": \($0.virtualSize), "
                + "\"raw_offset\": \($0.rawOffset), \"raw_size\": \($0.rawSize), \"characteristics\": \($0.flags.rawValue)}"
        }
        return "{\"machine\": \(machine), \"entry_point\": \(entryPoint), \"size_of_image\": \(sizeOfImage), "
            + "\"size_of_headers\": \(sizeOfHeaders), \"major_image_version\": \(majorImageVersion), "
            + "\"dll_characteristics\": \(dllCharacteristics.rawValue), \"sections\": [" + list.joined(separator: ", ") + "]}"
    }
}
