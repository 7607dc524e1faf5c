import SetupHeader
import StubAsm
import StubCore

/// The image's data and layout: the payload, the data the code after the move reads, the stub, then bss.
extension ImageAssembly {
    /// The compressed kernel, between the head and the code after the move.
    mutating func payloadBytes() {
        a.align(16)
        a.bind(payload)
        a.bytes(p.payload)
        a.bind(payloadEnd)
    }

    /// Descriptors, the slots the code fills in, the stub's parameters, kernel_info and the messages.
    mutating func data() {
        a.align(16)
        a.bind(gdt)
        a.dq(0, GDT.code32, GDT.code64, GDT.data)  // 0x08, 0x10 (X86.Selector.code), 0x18 (X86.Selector.data)
        a.bind(gdtDescriptor)
        a.dw(Imm(GDT.entries * 8 - 1))
        a.dq(0)  // base: filled in, the GDT moves with the image
        a.align(8)
        a.bind(idtDescriptor)
        a.dw(Imm(ProtectedModeImage.trapVectors * X86.idtEntrySize - 1))
        a.dq(0)
        a.align(8)
        a.bind(bootParamsSlot)
        a.dq(0)
        a.bind(serialPortSlot)
        a.dw(0)
        a.bind(serialPorts)
        for port in UART.ports { a.dw(port) }
        a.bind(noKASLRWord)
        a.ascii(Self.noKASLR)
        a.align(8)
        a.bind(parameters)  // the delta is written at boot (KASLR.swift)
        a.bytes(BootParameters(outputLength: p.outputLength, format: p.format.rawValue, loadAddress: p.loadAddress,
                               delta: 0, inverseTable: p.inverseTable ? 1 : 0,
                               payloadDigest: PayloadCheck.digest(p.payload)).encoded)
        a.align(4)
        a.bind(kernelInfo)
        a.bytes(KernelInfo(setupTypeMax: KernelInfo.linuxSetupTypeMax).encoded)
        a.bind(noLongModeMessage)
        a.asciz("mkbzimage: this CPU cannot run 64-bit code (no long mode); halting\r\n")
        trapMessage()
        // Messages by BootFailure, reached through a table of offsets from the table's start.
        a.align(2)
        a.bind(failureMessages)
        let texts = (0..<BootFailure.count).map { BootFailure(rawValue: $0)!.message }
        var at = BootFailure.count * 2
        for text in texts {
            a.dw(Imm(at))
            at += text.utf8.count + 1
        }
        for text in texts { a.asciz(text) }
    }

    /// The Swift stub.
    mutating func stubBytes() {
        a.align(16)
        a.bind(stub)
        a.bytes(stubCode.bytes)
    }

    /// `_edata` (512-aligned, 4 KiB for the PE sections of an EFI image; room for the CRC after the code), then
    /// bss: the stub's own zeroed data, the decoder's workspace, the IDT, the stack, the page tables, `_end`.
    mutating func bss() {
        a.space(4)  // the CRC's place is never inside the stub
        a.align(efi == nil ? 512 : X86.Page.size)
        a.bind(edata)
        let stubOffset = a.offset(of: stub)!, edataOffset = a.offset(of: edata)!
        a.space(max(0, stubOffset + stubCode.memorySize - edataOffset))
        a.align(4096)
        a.bind(workspace)
        a.space(p.format.bootWorkspaceSize)
        a.align(16)
        a.bind(idt)
        a.space(ProtectedModeImage.trapVectors * X86.idtEntrySize)
        a.align(16)
        a.space(ProtectedModeImage.stackSize)
        a.bind(stackTop)
        a.align(X86.Page.size)
        a.bind(pageTables)
        a.space(PageTableLayout.size)
        a.bind(end)
    }

    /// The assembled image: the file's bytes up to `_edata`, and where things are.
    func finish() throws(AssemblerError) -> ProtectedModeImage {
        let image = try a.finish()
        precondition(a.offset(of: startup64) == ProtectedModeImage.startup64Offset, "startup_32 overflows into startup_64")
        let edataOffset = a.offset(of: edata)!
        return ProtectedModeImage(bytes: Array(image[..<edataOffset]), headEnd: a.offset(of: payload)!,
                                  payloadOffset: a.offset(of: payload)!, kernelInfoOffset: a.offset(of: kernelInfo)!,
                                  end: a.offset(of: end)!, symbols: a.symbols,
                                  efi: efi.map { (a.offset(of: $0.peEntry)!, a.offset(of: $0.handover)!, a.offset(of: $0.header)!,
                                                  a.offset(of: $0.sbat)) })
    }
}

/// The protected-mode image's GDT: flat 4 GiB segments.
enum GDT {
    static let entries = 4
    static let code32: Imm = 0x00CF_9A00_0000_FFFF
    static let code64: Imm = 0x00AF_9A00_0000_FFFF
    static let data: Imm = 0x00CF_9200_0000_FFFF
}

extension BootParameters {
    /// The block as the stub reads it.
    var encoded: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.withUnsafeMutableBytes { write(to: $0.baseAddress!) }
        return bytes
    }
}
