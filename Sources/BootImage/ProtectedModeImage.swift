import SetupHeader
import StubAsm
import StubCore

/// The protected-mode image, laid out like the kernel's decompressor so the header formulas apply to it:
/// `startup_32` at 0, `startup_64` at 0x200 (the head, which decompression overwrites), the payload, the code and
/// data used after the move, the Swift stub, up to `_edata` (512-aligned, with room for the CRC), then bss: the
/// decoder's workspace, the stack and the page tables up to `_end`.
struct ProtectedModeImage {
    var bytes: [UInt8]      // [0, _edata)
    var headEnd: Int        // end of the entry code: where the payload starts
    var payloadOffset: Int
    var kernelInfoOffset: Int
    var end: Int            // _end

    static let stackSize = 0x4000
    static let pageTableSize = 6 * 4096  // PML4, PDPT, 4 page directories: 4 GiB in 2 MiB pages

    struct Parameters {
        var payload: [UInt8]
        var format: PayloadFormat
        var outputLength: Int
        var loadAddress: UInt64
        var inverseTable: Bool
    }

    static func assemble(_ p: Parameters) throws(AssemblerError) -> ProtectedModeImage {
        var a = Assembler(mode: .bits32)
        let start32 = a.label("startup_32"), probe = a.label("probe"), aligned32 = a.label()
        let noLongMode = a.label("no_long_mode"), pml4Loop = a.label(), pdLoop = a.label()
        let startup64 = a.label("startup_64"), from32 = a.label("from_32"), common = a.label()
        let aligned64 = a.label(), relocated = a.label("relocated"), failed = a.label("stub_failed")
        let gdt = a.label("gdt"), gdtDescriptor = a.label("gdt_desc"), parameters = a.label("parameters")
        let kernelInfo = a.label("kernel_info"), noLongModeMessage = a.label(), failedMessage = a.label()
        let payload = a.label("payload"), payloadEnd = a.label(), stub = a.label("stub"), edata = a.label("_edata")
        let workspace = a.label("workspace"), stackTop = a.label("stack_top"), pageTables = a.label("pgtable")
        let end = a.label("_end")
        let load = Imm(Int(p.loadAddress))

        // startup_32: 32-bit flat mode, paging off, ESI = boot_params, no stack.
        a.bind(start32)
        a.cld()
        a.cli()
        a.lea(.esp, .mem(.esi, 0x1E8))  // boot_params.scratch as a one-word stack for the position probe
        a.call(probe)
        a.bind(probe)
        a.pop(.ebp)
        a.sub(.ebp, probe.offset)  // EBP = where we run
        // Long mode or a clear message (first: cpuid clobbers EBX).
        a.mov(.eax, 0x8000_0000)
        a.cpuid()
        a.cmp(.eax, 0x8000_0001)
        a.jcc(.b, noLongMode)
        a.mov(.eax, 0x8000_0001)
        a.cpuid()
        a.bt(.edx, 29)
        a.jcc(.nc, noLongMode)
        // Output = load address rounded up to kernel_alignment, at least LOAD_PHYSICAL_ADDR; this image moves to
        // the end of the init_size buffer from there, and builds its page tables there.
        a.mov(.eax, .mem(.esi, 0x230))
        a.dec(.eax)
        a.lea(.ebx, .mem(.ebp, .eax))
        a.not(.eax)
        a.and(.ebx, .eax)
        a.cmp(.ebx, load)
        a.jcc(.ae, aligned32)
        a.mov(.ebx, load)
        a.bind(aligned32)
        a.add(.ebx, .mem(.esi, 0x260))
        a.sub(.ebx, end.offset)
        a.lea(.esp, .mem(.ebx, stackTop.offset))
        // Our GDT (0x10: 64-bit code, 0x18: data).
        a.lea(.eax, .mem(.ebp, gdt.offset))
        a.mov(.mem(.ebp, gdtDescriptor.offset + 2), .eax)
        a.lgdt(.mem(.ebp, gdtDescriptor.offset))
        a.mov(.ax, 0x18)
        a.mov(.ds, .ax)
        a.mov(.es, .ax)
        a.mov(.fs, .ax)
        a.mov(.gs, .ax)
        a.mov(.ss, .ax)
        // Identity map of the low 4 GiB with 2 MiB pages.
        a.lea(.edi, .mem(.ebx, pageTables.offset))
        a.xor(.eax, .eax)
        a.mov(.ecx, Imm(pageTableSize / 4))
        a.stos(.dword, .rep)
        a.lea(.edi, .mem(.ebx, pageTables.offset))
        a.lea(.eax, .mem(.edi, 0x1007))
        a.mov(.mem(.edi), .eax)
        a.lea(.edi, .mem(.ebx, pageTables.offset + 0x1000))
        a.lea(.eax, .mem(.edi, 0x1007))
        a.mov(.ecx, 4)
        a.bind(pml4Loop)
        a.mov(.mem(.edi), .eax)
        a.add(.eax, 0x1000)
        a.add(.edi, 8)
        a.dec(.ecx)
        a.jcc(.nz, pml4Loop)
        a.lea(.edi, .mem(.ebx, pageTables.offset + 0x2000))
        a.mov(.eax, 0x83)  // present, writable, 2 MiB
        a.mov(.ecx, 2048)
        a.bind(pdLoop)
        a.mov(.mem(.edi), .eax)
        a.add(.eax, 0x20_0000)
        a.add(.edi, 8)
        a.dec(.ecx)
        a.jcc(.nz, pdLoop)
        // PAE, the tables, EFER.LME, paging: long mode, entered by a far return.
        a.mov(.eax, .cr4)
        a.or(.eax, 0x20)
        a.mov(.cr4, .eax)
        a.lea(.eax, .mem(.ebx, pageTables.offset))
        a.mov(.cr3, .eax)
        a.mov(.ecx, 0xC000_0080)
        a.rdmsr()
        a.bts(.eax, 8)
        a.wrmsr()
        a.mov(.eax, .cr0)
        a.bts(.eax, 31)
        a.mov(.cr0, .eax)
        a.push(0x10)
        a.lea(.eax, .mem(.ebp, from32.offset))
        a.push(.eax)
        a.retf()
        // No long mode: say so on the serial port, then halt.
        a.bind(noLongMode)
        a.lea(.esi, .mem(.ebp, noLongModeMessage.offset))
        serialPrint(&a)
        let halt32 = a.here()
        a.hlt()
        a.jmp(halt32, .short)

        // startup_64 at 0x200: long mode, RSI = boot_params, an identity map from the loader or from above.
        a.align(0x200, fill: 0xCC)
        a.mode = .bits64
        a.bind(startup64)
        a.cld()
        a.cli()
        a.jmp(common)
        a.bind(from32)
        a.mov(.esi, .esi)  // boot_params, zero-extended
        a.bind(common)
        a.lea(.rbp, .rip(start32))
        a.mov(.eax, .mem(.rsi, 0x230))
        a.dec(.eax)
        a.lea(.rbx, .mem(.rbp, .rax))
        a.not(.rax)
        a.and(.rbx, .rax)
        a.mov(.eax, load)
        a.cmp(.rbx, .rax)
        a.jcc(.ae, aligned64)
        a.mov(.rbx, .rax)
        a.bind(aligned64)
        a.mov(.r14, .rbx)  // output
        a.mov(.eax, .mem(.rsi, 0x260))
        a.add(.rbx, .rax)
        a.sub(.rbx, end.offset)  // this image's place at the end of the init_size buffer
        a.lea(.rsp, .mem(.rbx, stackTop.offset))
        a.mov(.r15, .rsi)
        // Move [0, _edata) there, backwards since the ranges may overlap upwards, and continue in the copy.
        a.lea(.rsi, .mem(.rbp, edata.offset - 8))
        a.lea(.rdi, .mem(.rbx, edata.offset - 8))
        a.mov(.ecx, edata.offset / 8)
        a.std()
        a.movs(.qword, .rep)
        a.cld()
        a.lea(.rax, .mem(.rbx, relocated.offset))
        a.jmp(.rax)
        a.align(16)
        a.bind(payload)
        a.bytes(p.payload)
        a.bind(payloadEnd)
        // Everything that runs or is read after the move lives past the payload: decompressing in place
        // overwrites the head (as the kernel's .text follows its .rodata..compressed).
        a.align(16)
        a.bind(relocated)
        a.lea(.rax, .mem(.rbx, gdt.offset))
        a.mov(.mem(.rbx, gdtDescriptor.offset + 2), .rax)
        a.lgdt(.mem(.rbx, gdtDescriptor.offset))
        a.lea(.rdi, .mem(.rbx, edata.offset))  // bss, not the page tables in use
        a.xor(.eax, .eax)
        a.mov(.ecx, (pageTables.offset - edata.offset) / 8)
        a.stos(.qword, .rep)
        // stub_boot(payload, length, output, capacity, workspace, parameters)
        a.lea(.rdi, .mem(.rbx, payload.offset))
        a.mov(.esi, Imm(p.payload.count - (p.format == .gzip ? 0 : 4)))
        a.mov(.rdx, .r14)
        // Decompression is in place: the output may grow over what was already read, up to the payload's end
        // (init_size keeps the write position behind the read position).
        a.lea(.rcx, .mem(.rbx, payloadEnd.offset))
        a.sub(.rcx, .r14)
        a.lea(.r8, .mem(.rbx, workspace.offset))
        a.lea(.r9, .mem(.rbx, parameters.offset))
        a.lea(.rax, .mem(.rbx, stub.offset + Imm(Stub.entries["stub_boot"]!)))
        a.call(.rax)
        a.test(.rax, .rax)
        a.jcc(.l, failed)
        a.add(.rax, .r14)
        a.mov(.rsi, .r15)
        a.xor(.ebp, .ebp)
        a.xor(.ebx, .ebx)
        a.jmp(.rax)  // the kernel's startup_64, RSI = boot_params
        a.bind(failed)
        a.lea(.rsi, .mem(.rbx, failedMessage.offset))
        serialPrint(&a)
        let halt64 = a.here()
        a.hlt()
        a.jmp(halt64, .short)

        // Data.
        a.align(16)
        a.bind(gdt)
        a.dq(0, 0x00CF_9A00_0000_FFFF, 0x00AF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF)
        a.bind(gdtDescriptor)
        a.dw(31)
        a.dq(0)
        a.align(8)
        a.bind(parameters)
        a.dq(Imm(p.outputLength), Imm(p.format.rawValue), Imm(Int(p.loadAddress)), 0, p.inverseTable ? 1 : 0)
        a.align(4)
        a.bind(kernelInfo)
        a.bytes(KernelInfo(setupTypeMax: KernelInfo.linuxSetupTypeMax).encoded)
        a.bind(noLongModeMessage)
        a.asciz("mkbzimage: this CPU cannot run 64-bit code (no long mode)\r\n")
        a.bind(failedMessage)
        a.asciz("mkbzimage: the kernel payload is damaged or could not be unpacked; halting\r\n")
        a.align(16)
        a.bind(stub)
        a.bytes(Stub.bytes)
        a.space(4)  // the CRC's place is never inside the stub
        a.align(512)
        a.bind(edata)
        // bss: the stub's own zeroed data first, then the decoder workspace, the stack, the page tables.
        let stubOffset = a.offset(of: stub)!, edataOffset = a.offset(of: edata)!
        a.space(max(0, stubOffset + Stub.memorySize - edataOffset))
        a.align(4096)
        a.bind(workspace)
        a.space(p.format.workspaceSize)
        a.align(16)
        a.space(stackSize)
        a.bind(stackTop)
        a.align(4096)
        a.bind(pageTables)
        a.space(pageTableSize)
        a.bind(end)
        let image = try a.finish()
        precondition(a.offset(of: startup64) == 0x200, "startup_32 overflows into startup_64")
        return ProtectedModeImage(bytes: Array(image[..<edataOffset]), headEnd: a.offset(of: payload)!,
                                  payloadOffset: a.offset(of: payload)!, kernelInfoOffset: a.offset(of: kernelInfo)!,
                                  end: a.offset(of: end)!)
    }

    /// Prints the NUL-terminated string at ESI (RSI in 64-bit mode) on COM1, polling the line status.
    static func serialPrint(_ a: inout Assembler) {
        let long = a.mode == .bits64
        let next = a.label(), wait = a.label(), done = a.label()
        a.bind(next)
        a.mov(.bl, long ? .mem(.rsi) : .mem(.esi))
        a.test(.bl, .bl)
        a.jcc(.z, done)
        a.mov(.dx, 0x3FD)
        a.bind(wait)
        a.in(.al, .dx)
        a.test(.al, 0x20)
        a.jcc(.z, wait)
        a.mov(.dx, 0x3F8)
        a.mov(.al, .bl)
        a.out(.dx, .al)
        if long { a.inc(.rsi) } else { a.inc(.esi) }
        a.jmp(next)
        a.bind(done)
    }
}
