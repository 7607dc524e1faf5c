#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StubCore

/// The kernel's relocation table (`arch/x86/tools/relocs vmlinux`): the places the boot code patches when it
/// moves the kernel's virtual base (KASLR). Entries are the low 32 bits of the link-time virtual address of the
/// field to patch; each table is sorted as unsigned 32-bit and not deduplicated.
public struct RelocationTable: Sendable, Equatable {
    public var rules: RelocsRules
    /// 64-bit absolute fields (`R_X86_64_64`).
    public var r64: [UInt32]
    /// 32-bit PC-relative references to per-cpu symbols, which move the other way (6.1 … 6.14 only).
    public var inverse32: [UInt32]
    /// 32-bit absolute fields (`R_X86_64_32`, `R_X86_64_32S`).
    public var r32: [UInt32]

    public init(rules: RelocsRules, r64: [UInt32], inverse32: [UInt32], r32: [UInt32]) {
        self.rules = rules
        self.r64 = r64
        self.inverse32 = inverse32
        self.r32 = r32
    }

    /// The binary format the boot code reads backwards from its end (`RelocationTableLayout`, shared with the
    /// boot stub's reader): `0, R64…, 0, INV32…, 0, R32…` (6.1 … 6.14) or `0, R64…, 0, R32…` (6.15+).
    public var serialized: [UInt8] {
        RelocationTableLayout.encode(r64: r64, inverse32: rules.hasInverseTable ? inverse32 : nil, r32: r32)
    }

    /// The table of `rules`' layout that `bytes` hold, or nil when they hold none (`RelocationTableLayout.decode`).
    public init?(parsing bytes: UnsafeRawBufferPointer, rules: RelocsRules) {
        guard let runs = RelocationTableLayout.decode(bytes, hasInverseTable: rules.hasInverseTable) else { return nil }
        self.init(rules: rules, r64: runs.r64, inverse32: runs.inverse32, r32: runs.r32)
    }

    /// How many places the table patches.
    public var count: Int { r64.count + inverse32.count + r32.count }
}

/// Why a relocation table could not be produced. The kernel's tool dies on the same conditions.
public enum RelocsError: Error, Equatable, CustomStringConvertible {
    case elf(ELFError)
    /// The vmlinux has no relocation sections for its code: the kernel build stripped them (6.5+).
    case stripped(present: [String])
    /// No `SHT_SYMTAB`: a stripped file.
    case noSymbolTable
    case perCPULoadMissing
    case invalidAbsolute(type: String, symbol: String)
    case offsetDoesNotFit(offset: UInt64, section: String, entry: Int)
    case unsupportedType(type: UInt32, section: String, entry: Int)
    case perCPUPC64(symbol: String)

    public var description: String {
        switch self {
        case .elf(let error):
            return error.description
        case .stripped(let present):
            let left = present.isEmpty ? "it has none" : "it has only \(present.joined(separator: ", "))"
            return "no relocation sections for the kernel's code (.rela.text …; \(left)): the kernel build strips "
                + "them from vmlinux since Linux 6.5. Take the table from the build tree's "
                + "arch/x86/boot/compressed/vmlinux.relocs (--relocs FILE) or from a bzImage of the same build "
                + "(--relocs-from BZIMAGE)"
        case .noSymbolTable:
            return "no symbol table (.symtab): a stripped file cannot give a relocation table"
        case .perCPULoadMissing:
            return "can't find __per_cpu_load (needed because .data..percpu is linked at address 0)"
        case let .invalidAbsolute(type, symbol):
            return "invalid absolute \(type) relocation against \(symbol) (not a known absolute symbol)"
        case let .offsetDoesNotFit(offset, section, entry):
            return "relocation \(entry) of \(section) at \(hex(offset)) doesn't fit in 32 bits"
        case let .unsupportedType(type, section, entry):
            return "unsupported relocation type \(ELF.X86_64Relocation.name(type)) (\(type)) in entry \(entry) of "
                + "\(section)"
        case let .perCPUPC64(symbol):
            return "invalid R_X86_64_PC64 relocation against per-CPU symbol \(symbol)"
        }
    }
}

extension RelocationTable {
    /// Collects the table from the `.rela.*` sections that `--emit-relocs` leaves in vmlinux, exactly as the
    /// kernel's `relocs` tool of the given generation does.
    public init(collecting elf: ELFFile, rules: RelocsRules) throws(RelocsError) {
        do {
            try self.init(elf: elf, rules: rules)
        } catch let error as RelocsError {
            throw error
        } catch let error as ELFError {
            throw .elf(error)
        } catch {
            // Only the two error types above are thrown inside; keep any other one as a described error.
            throw .elf(.malformed(what: "relocations", detail: "\(error)"))
        }
    }

    /// The rules for this vmlinux, read from its `linux_banner` ("Linux version 6.1.0-53-cloud-amd64 …");
    /// nil when the banner cannot be found.
    public static func rules(for elf: ELFFile) -> RelocsRules? {
        guard let version = try? elf.kernelRelease() else { return nil }
        return RelocsRules(version: version)
    }

    private init(elf: ELFFile, rules: RelocsRules) throws {
        let relaSections = elf.sections.filter { $0.type == ELF.SectionType.rela }
        let appliesToCode = try relaSections.contains { rela in
            let target = try elf.section(at: rela.info, referencedBy: "target section (sh_info) of \(rela.name)")
            return target.isAllocated && target.flags.contains(.execInstr)
        }
        guard appliesToCode else { throw RelocsError.stripped(present: relaSections.map(\.name)) }
        guard elf.sections.contains(where: { $0.type == ELF.SectionType.symtab }) else {
            throw RelocsError.noSymbolTable
        }

        // Per-cpu: with .data..percpu linked at 0, its relocations are offsets into the per-cpu area.
        var perCPUIndex: UInt32? = nil
        var perCPULoad: UInt64 = 0
        if rules != .linux6_15, let percpu = elf.section(named: ".data..percpu"), percpu.address == 0 {
            guard let load = try elf.firstSymbol(named: "__per_cpu_load") else { throw RelocsError.perCPULoadMissing }
            perCPUIndex = UInt32(percpu.index)
            perCPULoad = load.value
        }

        let absolute = SymbolPattern(RelocsRules.absolutePattern)
        let relative = SymbolPattern(rules.relativePattern)
        var r64 = [UInt32](), inverse32 = [UInt32](), r32 = [UInt32]()
        var tables = [UInt32: SymbolTable]()
        typealias R = ELF.X86_64Relocation

        for section in relaSections {
            let rela = try RelocationSection(section, in: elf)
            guard rela.target.isAllocated, rela.target.type != ELF.SectionType.note else { continue }
            let symbols: SymbolTable
            if let cached = tables[section.link] {
                symbols = cached
            } else {
                symbols = try rela.symbolTable(in: elf)
                tables[section.link] = symbols
            }
            let adjust = perCPUIndex == UInt32(section.info) ? perCPULoad : 0

            for entry in 0..<rela.count {
                let relocation = rela[entry]
                let symbolIndex = relocation.symbolIndex
                let symbol = try symbols.symbol(symbolIndex, referencedBy: "symbol of relocation \(entry) in \(section.name)")
                if UInt32(symbol.sectionIndex) == ELF.SectionIndex.undefined { continue }
                let offset = relocation.offset &+ adjust

                // Lazily: names are only needed for per-cpu and absolute symbols.
                func isPerCPU() throws -> Bool {
                    guard let perCPUIndex, try symbols.sectionIndex(of: symbol, at: symbolIndex) == perCPUIndex else {
                        return false
                    }
                    return try elf.withSymbolName(symbol, at: symbolIndex, in: symbols) { name in
                        strcmp(name, "__init_begin") != 0 && strcmp(name, "__per_cpu_load") != 0
                            && strncmp(name, "init_per_cpu_", 13) != 0
                    }
                }

                switch relocation.type {
                case R.none:
                    continue
                case R.pc32, R.plt32:
                    if try isPerCPU() { inverse32.append(UInt32(truncatingIfNeeded: offset)) }
                case R.rexGotpcrelx where rules == .linux6_15:
                    continue
                case R.pc64:
                    if try isPerCPU() {
                        throw RelocsError.perCPUPC64(symbol: try symbols.name(of: symbol, at: symbolIndex))
                    }
                case R.r32, R.r32s, R.r64:
                    if try isPerCPU() { continue }
                    if UInt32(symbol.sectionIndex) == ELF.SectionIndex.absolute {
                        let (isRelative, isAllowedAbsolute, name) = try elf.withSymbolName(symbol, at: symbolIndex,
                                                                                           in: symbols) { name in
                            (relative.matches(name), absolute.matches(name), String(cString: name))
                        }
                        if !isRelative {
                            if isAllowedAbsolute { continue }
                            throw RelocsError.invalidAbsolute(type: R.name(relocation.type), symbol: name)
                        }
                    }
                    guard Int64(Int32(truncatingIfNeeded: offset)) == Int64(bitPattern: offset) else {
                        throw RelocsError.offsetDoesNotFit(offset: offset, section: section.name, entry: entry)
                    }
                    if relocation.type == R.r64 {
                        r64.append(UInt32(truncatingIfNeeded: offset))
                    } else {
                        r32.append(UInt32(truncatingIfNeeded: offset))
                    }
                default:
                    throw RelocsError.unsupportedType(type: relocation.type, section: section.name, entry: entry)
                }
            }
        }
        r64.sort()
        inverse32.sort()
        r32.sort()
        self.init(rules: rules, r64: r64, inverse32: rules.hasInverseTable ? inverse32 : [], r32: r32)
    }
}

extension ELFFile {
    /// The first symbol with this name in any `SHT_SYMTAB` (symbols without a name are skipped), as the
    /// kernel's `relocs` looks up `__per_cpu_load`.
    public func firstSymbol(named wanted: String) throws(ELFError) -> Symbol? {
        let target = Array(wanted.utf8)
        for section in sections where section.type == ELF.SectionType.symtab {
            let table = try SymbolTable(section, in: self)
            for index in 0..<table.count {
                let symbol = try table.symbol(index, referencedBy: "symbol")
                guard symbol.nameOffset != 0 else { continue }
                let range = try ELFFile.stringRange(in: table.strings, at: symbol.nameOffset,
                                                    what: "name of symbol \(index) in \(section.name)")
                if range.count == target.count && table.strings[range].elementsEqual(target) { return symbol }
            }
        }
        return nil
    }

    /// Calls `body` with the symbol's name as the kernel's `relocs` sees it: its string, or when it has none the
    /// name of its section ("ABSOLUTE", "COMMON" or "<noname>" for special indices).
    func withSymbolName<T>(_ symbol: Symbol, at index: Int, in table: SymbolTable,
                           _ body: (UnsafePointer<CChar>) throws -> T) throws -> T
    {
        if let pointer = try table.namePointer(of: symbol, at: index) { return try body(pointer) }
        let sectionIndex = try table.sectionIndex(of: symbol, at: index)
        let name: String
        if Int(sectionIndex) < sections.count {
            name = sections[Int(sectionIndex)].name
        } else if sectionIndex == ELF.SectionIndex.absolute {
            name = "ABSOLUTE"
        } else if sectionIndex == ELF.SectionIndex.common {
            name = "COMMON"
        } else {
            name = "<noname>"
        }
        return try name.withCString(body)
    }

    /// The kernel release from the `linux_banner` symbol ("6.1.0-53-cloud-amd64"), or nil.
    public func kernelRelease() throws(ELFError) -> String? {
        guard let banner = try firstSymbol(named: "linux_banner") else { return nil }
        guard let section = sections.first(where: {
            $0.hasFileData && $0.isAllocated && banner.value >= $0.address && banner.value - $0.address < $0.size
        }) else { return nil }
        let bytes = data(of: section)
        let start = Int(banner.value - section.address)
        let text = String(decoding: bytes[start..<min(bytes.count, start + 256)].prefix { $0 != 0 }, as: UTF8.self)
        let prefix = "Linux version "
        guard text.hasPrefix(prefix) else { return nil }
        return String(text.dropFirst(prefix.count).prefix { $0 != " " })
    }
}

extension ELFFile {
    /// The kernel's banner after "Linux version " ("6.1.0-53-cloud-amd64 (debian-kernel@…) #1 SMP …"), or nil.
    public func kernelBanner() throws(ELFError) -> String? {
        guard let banner = try firstSymbol(named: "linux_banner") else { return nil }
        guard let section = sections.first(where: {
            $0.hasFileData && $0.isAllocated && banner.value >= $0.address && banner.value - $0.address < $0.size
        }) else { return nil }
        let bytes = data(of: section)
        let start = Int(banner.value - section.address)
        let text = String(decoding: bytes[start..<min(bytes.count, start + 1024)].prefix { $0 != 0 && $0 != 0x0A },
                          as: UTF8.self)
        let prefix = "Linux version "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : nil
    }
}
