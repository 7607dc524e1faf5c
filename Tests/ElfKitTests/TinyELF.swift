import ElfKit
import Testing
import TestSupport

/// The committed tiny kernel-shaped ELF and helpers to corrupt it in precise ways.
enum TinyELF {
    static func bytes() throws -> [UInt8] { try Fixtures.bytes(Fixtures.tinyVmlinux) }

    static func parse(_ bytes: [UInt8]) throws(ELFError) -> ELFFile { try ELFFile(MappedFile(bytes: bytes)) }

    /// Offset of the first occurrence of `text` + NUL (a string-table entry).
    static func offset(ofString text: String, in bytes: [UInt8]) -> Int? {
        let needle = Array(text.utf8) + [0]
        return bytes.indices.first { i in
            i + needle.count <= bytes.count && bytes[i..<i + needle.count].elementsEqual(needle)
        }
    }

    /// File offset of entry `index` of the relocation section `name`.
    static func relocationOffset(_ name: String, entry index: Int, in bytes: [UInt8]) throws -> Int {
        let elf = try parse(bytes)
        let section = try #require(elf.section(named: name))
        return Int(section.offset) + index * 24
    }
}
