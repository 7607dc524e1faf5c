@testable import BootImage
import Foundation
import SetupHeader
import StubAsm
import StubCore
import Testing

/// The boot code's stages assembled on their own. What needs no privilege runs on the host, through a small
/// System V wrapper around the routine, on a boot_params page and a command line of the test's making.
@Suite struct StageTests {
    static let parameters = ProtectedModeImage.Parameters(
        payload: [], format: .lz4, outputLength: 0, loadAddress: 0x100_0000, alignment: 0x20_0000, virtualSlots: 480,
        inverseTable: true)

    /// A page of boot_params with `commandLine` (NUL-terminated, placed where a 64-bit pointer is needed: the
    /// host's heap is above 4 GiB, so ext_cmd_line_ptr is exercised too). nil: no command line.
    final class BootParamsPage {
        let page = UnsafeMutableRawPointer.allocate(byteCount: BootParams.size, alignment: 4096)
        let line = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        init(commandLine: String?, _ fields: [SetupHeader.Field: UInt32] = [:]) {
            page.initializeMemory(as: UInt8.self, repeating: 0, count: BootParams.size)
            line.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
            for (field, value) in fields { page.storeBytes(of: value, toByteOffset: BootParams.offset(of: field), as: UInt32.self) }
            guard let commandLine else { return }
            Array(commandLine.utf8).withUnsafeBytes { line.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let address = UInt64(UInt(bitPattern: line))
            page.storeBytes(of: UInt32(truncatingIfNeeded: address), toByteOffset: BootParams.offset(of: .cmd_line_ptr), as: UInt32.self)
            page.storeBytes(of: UInt32(address >> 32), toByteOffset: BootParams.Field.ext_cmd_line_ptr.offset, as: UInt32.self)
        }
        deinit { page.deallocate(); line.deallocate() }
        var address: UInt64 { UInt64(UInt(bitPattern: page)) }
        var loadFlags: LoadFlags { LoadFlags(rawValue: page.load(fromByteOffset: SetupHeader.Field.loadflags.offset, as: UInt8.self)) }
    }

    /// The command-line routines, KASLR's choice and hex_digits with their wrappers, and the data they use.
    struct Routines {
        let code: HostCode
        var findWord = 0, findSerialPort = 0, chooseVirtualBase = 0, hexDigits = 0, serialPortSlot = 0

        init(_ p: ProtectedModeImage.Parameters = StageTests.parameters) throws {
            var offsets = (0, 0, 0, 0, 0)
            code = try HostCode { origin in
                var image = ImageAssembly(p, origin: origin)
                image.a.mode = .bits64
                // find_word(boot_params, word, length) -> 0/1
                offsets.0 = image.a.offset
                image.a.push(.r15)
                image.a.mov(.r15, .rdi)
                image.a.call(image.findWord)
                image.a.pop(.r15)
                image.a.ret()
                // find_serial_port(boot_params) -> the port it chose
                offsets.1 = image.a.offset
                image.a.push(.r15)
                image.a.mov(.r15, .rdi)
                image.a.call(image.findSerialPort)
                image.a.movzx(.eax, .word, .rip(image.serialPortSlot))
                image.a.pop(.r15)
                image.a.ret()
                // choose_virtual_base(boot_params) -> the delta it wrote into the stub's parameters
                offsets.2 = image.a.offset
                image.a.push(.rbx)
                image.a.push(.r15)
                image.a.mov(.r15, .rdi)
                image.a.call(image.chooseVirtualBase)
                image.a.mov(.rax, .rip(image.parameters.address + Imm(BootParameters.Offset.delta)))
                image.a.pop(.r15)
                image.a.pop(.rbx)
                image.a.ret()
                // hex_digits(value, count, destination)
                offsets.3 = image.a.offset
                image.a.mov(.rax, .rdi)
                image.a.mov(.rcx, .rsi)
                image.a.mov(.rdi, .rdx)
                image.a.call(image.hexDigits)
                image.a.ret()
                image.hexDigitsRoutine()
                image.findSerialPortRoutine()
                image.chooseVirtualBaseRoutine()
                image.findWordRoutine()
                image.data()
                offsets.4 = image.a.offset(of: image.serialPortSlot)!
                return try image.a.finish()
            }
            (findWord, findSerialPort, chooseVirtualBase, hexDigits, serialPortSlot) = offsets
        }

        func findWord(_ word: String, in line: String?) -> UInt64 {
            let bp = BootParamsPage(commandLine: line)
            return withExtendedLifetime(bp) {
                Array(word.utf8).withUnsafeBytes { code.call(findWord, bp.address, UInt64(UInt(bitPattern: $0.baseAddress!)), UInt64($0.count)) }
            }
        }
    }

    @Test func findWordMatchesWholeWordsOnly() throws {
        let r = try Routines()
        #expect(r.findWord("nokaslr", in: "nokaslr") == 1)
        #expect(r.findWord("nokaslr", in: "console=ttyS0 nokaslr panic=-1") == 1)
        #expect(r.findWord("nokaslr", in: "console=ttyS0 nokaslr") == 1)
        #expect(r.findWord("nokaslr", in: "nokaslrx") == 0)
        #expect(r.findWord("nokaslr", in: "xnokaslr") == 0)
        #expect(r.findWord("nokaslr", in: "nokasl") == 0)
        #expect(r.findWord("nokaslr", in: "") == 0)
        #expect(r.findWord("nokaslr", in: nil) == 0)
        // The scan stops at cmdline_size + 1 bytes, as the kernel reads no further.
        #expect(r.findWord("nokaslr", in: String(repeating: " ", count: 2030) + "nokaslr") == 1)
        #expect(r.findWord("nokaslr", in: String(repeating: " ", count: 2048) + "nokaslr") == 0)
    }

    @Test func findSerialPortTakesTheFirstTtyS() throws {
        let r = try Routines()
        func port(_ line: String?) -> UInt64 {
            let bp = BootParamsPage(commandLine: line)
            return withExtendedLifetime(bp) { r.code.call(r.findSerialPort, bp.address) }
        }
        #expect(port("console=ttyS0") == 0x3F8)
        #expect(port("quiet console=ttyS1,115200") == 0x2F8)
        #expect(port("console=ttyS2 console=ttyS0") == 0x3E8)
        #expect(port("console=ttyS3") == 0x2E8)
        #expect(port("console=ttyS4") == 0)
        #expect(port("console=tty0") == 0)
        #expect(port(nil) == 0)
    }

    @Test func chooseVirtualBaseHonoursNokaslrAndStaysInItsSlots() throws {
        let r = try Routines()
        let alignment = StageTests.parameters.alignment, slots = UInt64(StageTests.parameters.virtualSlots)
        let kept = BootParamsPage(commandLine: "console=ttyS0 nokaslr")
        #expect(r.code.call(r.chooseVirtualBase, kept.address) == 0)
        #expect(!kept.loadFlags.contains(.kaslr))
        var deltas = Set<UInt64>()
        for _ in 0..<8 {
            let bp = BootParamsPage(commandLine: "console=ttyS0")
            let delta = r.code.call(r.chooseVirtualBase, bp.address)
            #expect(delta % alignment == 0 && delta < slots * alignment, "delta 0x\(String(delta, radix: 16))")
            #expect(bp.loadFlags.contains(.kaslr))
            deltas.insert(delta)
        }
        #expect(deltas.count > 1, "eight choices among \(slots) slots were all \(deltas)")
        // An image without a relocation table never moves the kernel, and says so in loadflags.
        var fixed = StageTests.parameters
        fixed.virtualSlots = 0
        let still = try Routines(fixed)
        let bp = BootParamsPage(commandLine: "console=ttyS0")
        bp.page.storeBytes(of: LoadFlags.kaslr.rawValue, toByteOffset: SetupHeader.Field.loadflags.offset, as: UInt8.self)
        #expect(still.code.call(still.chooseVirtualBase, bp.address) == 0)
        #expect(!bp.loadFlags.contains(.kaslr))
    }

    @Test func hexDigitsWritesUpperCaseDigits() throws {
        let r = try Routines()
        var text = [UInt8](repeating: 0x3F, count: 16)
        text.withUnsafeMutableBytes { _ = r.code.call(r.hexDigits, 0x0123_4567_89AB_CDEF, 16, UInt64(UInt(bitPattern: $0.baseAddress!))) }
        #expect(String(decoding: text, as: UTF8.self) == "0123456789ABCDEF")
        text.withUnsafeMutableBytes { _ = r.code.call(r.hexDigits, 0x0E, 2, UInt64(UInt(bitPattern: $0.baseAddress!))) }
        #expect(String(decoding: text.prefix(2), as: UTF8.self) == "0E")
    }

    /// The 64-bit output computation: the run address rounded up to kernel_alignment, never below
    /// LOAD_PHYSICAL_ADDR; the image's place is output + init_size − _end.
    @Test func theOutputIsTheAlignedRunAddressAtLeastTheLoadAddress() throws {
        var endOffset = 0
        let code = try HostCode { origin in
            var image = ImageAssembly(StageTests.parameters, origin: origin)
            image.a.mode = .bits64
            // locate(boot_params, run address, &place) -> output
            image.a.push(.rbx)
            image.a.push(.rbp)
            image.a.push(.r14)
            image.a.mov(.rbp, .rsi)
            image.a.mov(.rsi, .rdi)
            image.locateOutput()
            image.a.mov(.mem(.rdx), .rbx)
            image.a.mov(.rax, .r14)
            image.a.pop(.r14)
            image.a.pop(.rbp)
            image.a.pop(.rbx)
            image.a.ret()
            image.a.align(4096)
            image.a.space(0x3000)
            image.a.bind(image.end)
            endOffset = image.a.offset(of: image.end)!
            return try image.a.finish()
        }
        let initSize: UInt32 = 0x337_7000
        let bp = BootParamsPage(commandLine: nil, [.kernel_alignment: 0x20_0000, .init_size: initSize])
        for (runAddress, output): (UInt64, UInt64) in [(0x10_0000, 0x100_0000), (0x100_0000, 0x100_0000),
                                                        (0x300_1000, 0x320_0000), (0x1_2340_0000, 0x1_2340_0000)] {
            var place: UInt64 = 0
            let result = withExtendedLifetime(bp) {
                withUnsafeMutablePointer(to: &place) { code.call(0, bp.address, runAddress, UInt64(UInt(bitPattern: $0))) }
            }
            #expect(result == output)
            #expect(place == output + UInt64(initSize) - UInt64(endOffset))
        }
    }

    /// map_gib fills a page directory with 2 MiB pages of one GiB and links it: into PDPT 0 below 512 GiB, else
    /// into PDPT 1, which it puts in the PML4's second slot.
    @Test func mapGiBLinksItsDirectory() throws {
        var tables = 0
        let code = try HostCode { origin in
            var image = ImageAssembly(StageTests.parameters, origin: origin)
            image.a.mode = .bits64
            image.a.mov(.rax, .rdi)  // map(gib, directory)
            image.a.mov(.rdi, .rsi)
            image.a.call(image.mapGiB)
            image.a.ret()
            image.pageTables64()
            image.a.align(4096)
            image.a.bind(image.pageTables)
            image.a.space(PageTableLayout.size)
            tables = image.a.offset(of: image.pageTables)!
            return try image.a.finish()
        }
        func entry(_ table: Int, _ index: Int) -> UInt64 { code.load(UInt64.self, at: tables + table + index * 8) }
        let base = UInt64(UInt(bitPattern: code.base)) + UInt64(tables)
        _ = code.call(0, 5, base + UInt64(PageTableLayout.outputDirectory))
        #expect(entry(PageTableLayout.outputDirectory, 0) == 5 << 30 | 0x83)
        #expect(entry(PageTableLayout.outputDirectory, 511) == (5 << 30) + 511 * 0x20_0000 | 0x83)
        #expect(entry(PageTableLayout.pdpt0, 5) == base + UInt64(PageTableLayout.outputDirectory) | 7)
        #expect(entry(PageTableLayout.pml4, 1) == 0)
        _ = code.call(0, 600, base + UInt64(PageTableLayout.bufferEndDirectory))
        #expect(entry(PageTableLayout.bufferEndDirectory, 0) == 600 << 30 | 0x83)
        #expect(entry(PageTableLayout.pml4, 1) == base + UInt64(PageTableLayout.pdpt1) | 7)
        #expect(entry(PageTableLayout.pdpt1, 600 % 512) == base + UInt64(PageTableLayout.bufferEndDirectory) | 7)
    }

    /// What cannot run here is checked for its shape: startup_32 fits below the 64-bit entry, every trap entry is
    /// 16 bytes and pushes a zero exactly where the CPU pushes no error code.
    @Test func entriesAndTrapStubsHaveTheirShape() throws {
        var image = ImageAssembly(StageTests.parameters)
        image.startup_32()
        #expect(image.a.offset < ProtectedModeImage.startup64Offset, "startup_32 is \(image.a.offset) bytes")
        image.startup_64()
        #expect(image.a.offset(of: image.startup64) == ProtectedModeImage.startup64Offset)
        image.a.align(16)
        let entries = image.a.offset
        image.trapHandlers()
        image.data()
        image.a.bind(image.end)
        image.a.bind(image.edata)
        image.a.bind(image.stackTop)
        image.a.bind(image.pageTables)
        image.a.bind(image.relocatedEntry)
        image.a.bind(image.report)
        image.a.bind(image.hexDigits)
        let bytes = try image.a.finish()
        for vector in 0..<ProtectedModeImage.trapVectors {
            let slot = Array(bytes[entries + vector * 16..<entries + vector * 16 + 16])
            let pushesZero = slot.starts(with: [0x6A, 0x00])
            #expect(pushesZero != X86.exceptionsWithErrorCode.contains(vector), "vector \(vector): \(slot)")
            let push = pushesZero ? 2 : 0
            #expect(Array(slot[push..<push + 2]) == [0x6A, UInt8(vector)], "vector \(vector): \(slot)")
            #expect(slot[push + 2] == 0xE9, "vector \(vector) does not jump to the common handler: \(slot)")
        }
    }
}
