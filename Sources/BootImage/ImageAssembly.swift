import SetupHeader
import StubAsm
import StubCore

/// The protected-mode image while it is assembled: the assembler, the image's parameters and the labels that more
/// than one stage uses (a stage's own labels are made where they are bound). Each stage is a method in the file
/// named after it, and `ProtectedModeImage.assemble` calls them in the image's order.
struct ImageAssembly {
    var a = Assembler(mode: .bits32)
    let p: ProtectedModeImage.Parameters
    let stubCode: Stub
    let load: Imm

    // The entries and the move (startup_32, startup_64).
    let startup32: Label, startup64: Label, from32: Label, relocatedEntry: Label
    // The image's extent: the payload, the end of the file's bytes, the bss and what lives there.
    let payload: Label, payloadEnd: Label, stub: Label, edata: Label
    let workspace: Label, idt: Label, stackTop: Label, pageTables: Label, end: Label
    // Data both entries or several stages use.
    let gdt: Label, gdtDescriptor: Label, idtDescriptor: Label, parameters: Label, kernelInfo: Label
    let bootParamsSlot: Label, serialPortSlot: Label, serialPorts: Label, noKASLRWord: Label
    let noLongModeMessage: Label, failureMessages: Label, traps: TrapLabels
    // Subroutines called from more than one place.
    let report: Label, haltForever: Label, hexDigits: Label, findSerialPort: Label, findWord: Label
    let chooseVirtualBase: Label, buildPageTables: Label, mapGiB: Label
    /// The EFI entry's labels, in an image for UEFI.
    let efi: EFILabels?

    /// The trap entries and the message their common handler fills in.
    struct TrapLabels {
        let entries: Label, common: Label, message: Label, vectorDigits: Label, errorDigits: Label, ripDigits: Label
    }

    /// `origin`: where the image is assembled for (0: positions are offsets; the code is position-independent).
    init(_ p: ProtectedModeImage.Parameters, origin: UInt64 = 0) {
        a = Assembler(mode: .bits32, origin: origin)
        self.p = p
        stubCode = Stub.forFormat(p.format)
        load = Imm(Int(p.loadAddress))
        startup32 = a.label("startup_32")
        startup64 = a.label("startup_64")
        from32 = a.label("from_32")
        relocatedEntry = a.label("relocated")
        gdt = a.label("gdt")
        gdtDescriptor = a.label("gdt_desc")
        parameters = a.label("parameters")
        kernelInfo = a.label("kernel_info")
        noLongModeMessage = a.label("no_long_mode_message")
        idt = a.label("idt")
        idtDescriptor = a.label("idt_desc")
        traps = TrapLabels(entries: a.label("trap_entries"), common: a.label("trap_common"),
                           message: a.label("trap_message"), vectorDigits: a.label(), errorDigits: a.label(),
                           ripDigits: a.label())
        hexDigits = a.label("hex_digits")
        report = a.label("report")
        findSerialPort = a.label("find_serial_port")
        buildPageTables = a.label("build_page_tables")
        mapGiB = a.label("map_gib")
        haltForever = a.label("halt")
        failureMessages = a.label("failure_messages")
        bootParamsSlot = a.label("boot_params_ptr")
        serialPortSlot = a.label("serial_port")
        serialPorts = a.label()
        chooseVirtualBase = a.label("choose_virtual_base")
        findWord = a.label("find_word")
        noKASLRWord = a.label("nokaslr_word")
        payload = a.label("payload")
        payloadEnd = a.label()
        stub = a.label("stub")
        edata = a.label("_edata")
        workspace = a.label("workspace")
        stackTop = a.label("stack_top")
        pageTables = a.label("pgtable")
        end = a.label("_end")
        efi = p.efi ? EFILabels(peEntry: a.label("efi_pe_entry"), handover: a.label("efi64_stub_entry"), call: a.label("efi_call"),
                                parameters: a.label("efi_parameters"), header: a.label("efi_setup_header"),
                                stub: a.label("efi_stub"), sbat: a.label("sbat")) : nil
    }
}

/// boot_params fields as memory operands, at a base register holding its address.
extension Memory {
    static func bootParams(_ base: Reg32, _ field: BootParams.Field, plus extra: Int = 0) -> Memory {
        .mem(base, Imm(field.offset + extra))
    }

    static func bootParams(_ base: Reg64, _ field: BootParams.Field, plus extra: Int = 0) -> Memory {
        .mem(base, Imm(field.offset + extra))
    }

    static func bootParams(_ base: Reg32, _ field: SetupHeader.Field) -> Memory {
        .mem(base, Imm(BootParams.offset(of: field)))
    }

    static func bootParams(_ base: Reg64, _ field: SetupHeader.Field) -> Memory {
        .mem(base, Imm(BootParams.offset(of: field)))
    }
}
