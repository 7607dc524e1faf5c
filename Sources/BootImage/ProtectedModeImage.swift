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
    var symbols: [(name: String, offset: Int)]

    static let stackSize = 0x4000
    /// PML4, PDPT 0, 4 page directories for the low 4 GiB in 2 MiB pages (all the 32-bit path builds); the 64-bit
    /// entry adds two directories for the init_size buffer above 4 GiB and PDPT 1 for beyond 512 GiB.
    static let pageTableSize = 9 * 4096
    static let trapVectors = 32
    static let trapEntrySize = 16

    struct Parameters {
        var payload: [UInt8]
        var format: PayloadFormat
        var outputLength: Int
        var loadAddress: UInt64
        var alignment: UInt64
        /// KASLR: how many kernel_alignment steps the virtual base may move (0: it stays).
        var virtualSlots: Int
        var inverseTable: Bool
    }

    static func assemble(_ p: Parameters) throws(AssemblerError) -> ProtectedModeImage {
        var a = Assembler(mode: .bits32)
        let start32 = a.label("startup_32"), probe = a.label("probe"), aligned32 = a.label()
        let noLongMode = a.label("no_long_mode"), pml4Loop = a.label(), pdLoop = a.label()
        let startup64 = a.label("startup_64"), from32 = a.label("from_32"), common = a.label()
        let aligned64 = a.label(), relocated = a.label("relocated"), failed = a.label("stub_failed")
        let gdt = a.label("gdt"), gdtDescriptor = a.label("gdt_desc"), parameters = a.label("parameters")
        let kernelInfo = a.label("kernel_info"), noLongModeMessage = a.label("no_long_mode_message")
        let idt = a.label("idt"), idtDescriptor = a.label("idt_desc"), idtLoop = a.label()
        let trapEntries = a.label("trap_entries"), trapCommon = a.label("trap_common")
        let trapMessage = a.label("trap_message"), trapVectorDigits = a.label(), trapErrorDigits = a.label()
        let trapRIPDigits = a.label(), hexDigits = a.label("hex_digits"), hexLoop = a.label(), hexDigit = a.label()
        let report = a.label("report"), reportDone = a.label(), findSerialPort = a.label("find_serial_port")
        let scanLoop = a.label(), scanNext = a.label(), scanDone = a.label()
        let buildPageTables = a.label("build_page_tables"), lowEnough = a.label(), mapped = a.label()
        let mapGiB = a.label("map_gib"), mapLoop = a.label(), linkDirectory = a.label()
        let tablesReady = a.label(), stubCall = a.label("stub_call"), haltForever = a.label("halt")
        let failureMessages = a.label("failure_messages"), bootParamsSlot = a.label("boot_params_ptr")
        let serialPortSlot = a.label("serial_port"), serialPorts = a.label()
        let chooseVirtualBase = a.label("choose_virtual_base"), baseChosen = a.label(), noRDRAND = a.label()
        let rdrandLoop = a.label(), rdrandGot = a.label(), findWord = a.label("find_word"), wordLoop = a.label(), wordCheck = a.label()
        let wordCompare = a.label(), wordMatched = a.label(), wordNext = a.label(), wordFound = a.label()
        let wordMissing = a.label(), noKASLRWord = a.label("nokaslr_word")
        let stubCode = Stub.forFormat(p.format)
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
        // (No command line scan here: COM1, where nothing is listening if there is no port.)
        a.bind(noLongMode)
        a.mov(.edx, .esi)
        a.lea(.esi, .mem(.ebp, noLongModeMessage.offset))
        a.push(.esi)
        vgaPrint(&a)
        a.pop(.esi)
        a.mov(.cx, 0x3F8)
        serialPrint(&a)
        let halt32 = a.here()
        a.hlt()
        a.jmp(halt32, .short)

        // startup_64 at 0x200: long mode, RSI = boot_params, the loader's identity map (which covers at least this
        // image's init_size buffer, boot_params and the command line), anywhere in memory, above 4 GiB included.
        a.align(0x200, fill: 0xCC)
        a.mode = .bits64
        a.bind(startup64)
        a.cld()
        a.cli()
        a.mov(.r13d, 1)  // our page tables are still to be built
        a.jmp(common)
        a.bind(from32)
        a.mov(.esi, .esi)  // boot_params, zero-extended
        a.xor(.r13d, .r13d)
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
        // overwrites the head (as the kernel's .text follows its .rodata..compressed). From here on the code
        // reaches its data RIP-relative: RBX = this copy, R14 = output, R15 = boot_params.
        a.align(16)
        a.bind(relocated)
        a.mov(.rip(bootParamsSlot), .r15)
        a.lea(.rax, .rip(gdt))
        a.mov(.rip(gdtDescriptor.address + 2), .rax)
        a.lgdt(.rip(gdtDescriptor))
        a.mov(.eax, 0x18)
        a.mov(.ds, .ax)
        a.mov(.es, .ax)
        a.mov(.ss, .ax)
        a.lea(.rdi, .rip(edata))  // bss up to the page tables (which may be in use)
        a.xor(.eax, .eax)
        a.mov(.ecx, (pageTables.offset - edata.offset) / 8)
        a.stos(.qword, .rep)
        // Trap handlers from here on: a fault prints its vector and RIP instead of resetting the machine.
        a.lea(.rdi, .rip(idt))
        a.lea(.rdx, .rip(trapEntries))
        a.mov(.ecx, Imm(trapVectors))
        a.bind(idtLoop)
        a.mov(.rax, .rdx)
        a.mov(.mem(.rdi), .ax)
        a.mov(.word, .mem(.rdi, 2), 0x10)
        a.mov(.word, .mem(.rdi, 4), 0x8E00)  // present, DPL 0, 64-bit interrupt gate
        a.shr(.rax, 16)
        a.mov(.mem(.rdi, 6), .ax)
        a.shr(.rax, 16)
        a.mov(.mem(.rdi, 8), .eax)
        a.mov(.dword, .mem(.rdi, 12), 0)
        a.add(.rdx, Imm(trapEntrySize))
        a.add(.rdi, 16)
        a.dec(.ecx)
        a.jcc(.nz, idtLoop)
        a.lea(.rax, .rip(idt))
        a.mov(.rip(idtDescriptor.address + 2), .rax)
        a.lidt(.rip(idtDescriptor))
        // Entered at 64 bits: our own identity map (the loader's may cover little more than this buffer), the
        // low 4 GiB plus the 1 GiB regions holding the init_size buffer when it lies above.
        a.test(.r13d, .r13d)
        a.jcc(.z, tablesReady)
        a.call(buildPageTables)
        a.bind(tablesReady)
        // Where errors go: the serial port the command line names, if any.
        a.call(findSerialPort)
        // KASLR: the virtual delta the stub applies through the relocation table, and loadflags' KASLR_FLAG.
        a.call(chooseVirtualBase)
        // stub_boot(payload, length, output, capacity, workspace, parameters)
        a.lea(.rdi, .rip(payload))
        a.mov(.esi, Imm(p.payload.count))
        a.mov(.rdx, .r14)
        // Decompression is in place: the output may grow over what was already read, up to the payload's end
        // (init_size keeps the write position behind the read position).
        a.lea(.rcx, .rip(payloadEnd))
        a.sub(.rcx, .r14)
        a.lea(.r8, .rip(workspace))
        a.lea(.r9, .rip(parameters))
        a.lea(.rax, .rip(stub.address + Imm(stubCode.bootEntry)))
        a.bind(stubCall)
        a.call(.rax)
        a.test(.rax, .rax)
        a.jcc(.l, failed)
        a.add(.rax, .r14)
        a.mov(.rsi, .r15)
        a.xor(.ebp, .ebp)
        a.xor(.ebx, .ebx)
        a.jmp(.rax)  // the kernel's startup_64, RSI = boot_params
        // stub_boot failed: −1 − BootFailure; print its message.
        a.bind(failed)
        a.not(.rax)
        a.lea(.rsi, .rip(failureMessages))
        a.movzx(.eax, .word, .mem(.rsi, .rax, scale: 2))
        a.add(.rsi, .rax)
        a.call(report)
        a.jmp(haltForever)

        // The trap entries: 16 bytes each, pushing a zero where the CPU pushes no error code, then the vector.
        a.align(16)
        a.bind(trapEntries)
        for vector in 0..<trapVectors {
            let start = a.offset
            if ![8, 10, 11, 12, 13, 14, 17, 21, 29, 30].contains(vector) { a.push(0) }
            a.push(Imm(vector))
            a.jmp(trapCommon)
            a.align(trapEntrySize, fill: 0xCC)
            precondition(a.offset - start == trapEntrySize, "a trap entry outgrew its slot")
        }
        // [rsp] = vector, [rsp+8] = error code, [rsp+16] = RIP: fill them into the message and report it.
        a.bind(trapCommon)
        a.pop(.rax)
        a.lea(.rdi, .rip(trapVectorDigits))
        a.mov(.ecx, 2)
        a.call(hexDigits)
        a.pop(.rax)
        a.lea(.rdi, .rip(trapErrorDigits))
        a.mov(.ecx, 8)
        a.call(hexDigits)
        a.mov(.rax, .mem(.rsp))
        a.lea(.rdi, .rip(trapRIPDigits))
        a.mov(.ecx, 16)
        a.call(hexDigits)
        a.lea(.rsi, .rip(trapMessage))
        a.call(report)
        a.bind(haltForever)
        a.cli()
        a.hlt()
        a.jmp(haltForever, .short)

        // Writes the low RCX hex digits of RAX at RDI.
        a.bind(hexDigits)
        a.bind(hexLoop)
        a.mov(.edx, .eax)
        a.and(.edx, 15)
        a.add(.edx, Imm(0x30))
        a.cmp(.edx, Imm(0x39))
        a.jcc(.be, hexDigit)
        a.add(.edx, 7)
        a.bind(hexDigit)
        a.mov(.mem(.rdi, .rcx, scale: 1, -1), .dl)
        a.shr(.rax, 4)
        a.dec(.ecx)
        a.jcc(.nz, hexLoop)
        a.ret()

        // Prints the string at RSI on the serial port the command line named and on the VGA text screen.
        a.bind(report)
        a.push(.rsi)
        a.mov(.rdx, .rip(bootParamsSlot))
        vgaPrint(&a)
        a.pop(.rsi)
        a.movzx(.ecx, .word, .rip(serialPortSlot))
        a.test(.ecx, .ecx)
        a.jcc(.z, reportDone)
        serialPrint(&a)
        a.bind(reportDone)
        a.ret()

        // Sets serialPortSlot from the first "ttyS<n>" (n = 0…3) on the command line, 0 without one.
        a.bind(findSerialPort)
        a.mov(.word, .rip(serialPortSlot), 0)
        a.mov(.eax, .mem(.r15, 0x228))  // cmd_line_ptr
        a.mov(.edx, .mem(.r15, 0xC8))   // ext_cmd_line_ptr
        a.shl(.rdx, 32)
        a.or(.rax, .rdx)
        a.jcc(.z, scanDone)
        a.lea(.rcx, .mem(.rax, 2048))
        a.bind(scanLoop)
        a.cmp(.rax, .rcx)
        a.jcc(.ae, scanDone)
        a.cmp(.byte, .mem(.rax), 0)
        a.jcc(.z, scanDone)
        a.cmp(.dword, .mem(.rax), Imm(0x5379_7474))  // "ttyS"
        a.jcc(.ne, scanNext)
        a.movzx(.edx, .byte, .mem(.rax, 4))
        a.sub(.edx, Imm(0x30))
        a.cmp(.edx, 3)
        a.jcc(.a, scanNext)
        a.lea(.rax, .rip(serialPorts))
        a.movzx(.edx, .word, .mem(.rax, .rdx, scale: 2))
        a.mov(.rip(serialPortSlot), .dx)
        a.ret()
        a.bind(scanNext)
        a.inc(.rax)
        a.jmp(scanLoop)
        a.bind(scanDone)
        a.ret()

        // The kernel's virtual base, as its own decompressor picks it (virtual part only; the physical address
        // stays where the loader put us): unless the command line says nokaslr, a random slot of kernel_alignment
        // steps within KERNEL_IMAGE_SIZE, from RDRAND when the CPU has it, mixed with the TSC.
        a.bind(chooseVirtualBase)
        a.and(.byte, .mem(.r15, 0x211), Imm(0xFD))  // loadflags: KASLR_FLAG off until we randomise
        a.mov(.qword, .rip(parameters.address + 24), 0)
        if p.virtualSlots > 0 {
            a.lea(.rsi, .rip(noKASLRWord))
            a.mov(.edx, 7)
            a.call(findWord)
            a.test(.eax, .eax)
            a.jcc(.nz, baseChosen)
            a.rdtsc()
            a.shl(.rdx, 32)
            a.or(.rdx, .rax)
            a.mov(.r8, .rdx)
            a.push(.rbx)  // cpuid clobbers it
            a.mov(.eax, 1)
            a.cpuid()
            a.pop(.rbx)
            a.bt(.ecx, 30)
            a.jcc(.nc, noRDRAND)
            a.mov(.ecx, 16)
            a.bind(rdrandLoop)
            a.rdrand(.rax)
            a.jcc(.c, rdrandGot)
            a.dec(.ecx)
            a.jcc(.nz, rdrandLoop)
            a.jmp(noRDRAND)
            a.bind(rdrandGot)
            a.xor(.r8, .rax)
            a.bind(noRDRAND)
            a.movabs(.rdx, Imm(UInt64(0x9E37_79B9_7F4A_7C15)))  // spread the bits (Fibonacci hashing); the high half is used
            a.imul(.r8, .rdx)
            a.shr(.r8, 32)
            a.mov(.eax, Imm(p.virtualSlots))
            a.mul(.r8)  // RDX:RAX = random32 · slots
            a.shr(.rax, 32)  // the slot
            a.mov(.rdx, Imm(Int(p.alignment)))
            a.imul(.rax, .rdx)
            a.mov(.rip(parameters.address + 24), .rax)
            a.or(.byte, .mem(.r15, 0x211), 2)
        }
        a.bind(baseChosen)
        a.ret()

        // EAX = 1 when the command line holds the word at RSI (RDX bytes) on its own (space- or end-delimited).
        a.bind(findWord)
        a.mov(.eax, .mem(.r15, 0x228))
        a.mov(.r8d, .mem(.r15, 0xC8))
        a.shl(.r8, 32)
        a.or(.rax, .r8)
        a.jcc(.z, wordMissing)
        a.mov(.r9, .rax)
        a.lea(.r10, .mem(.rax, 2048))
        a.bind(wordLoop)
        a.cmp(.rax, .r10)
        a.jcc(.ae, wordMissing)
        a.cmp(.byte, .mem(.rax), 0)
        a.jcc(.z, wordMissing)
        a.cmp(.rax, .r9)
        a.jcc(.e, wordCheck)
        a.cmp(.byte, .mem(.rax, -1), 0x20)
        a.jcc(.ne, wordNext)
        a.bind(wordCheck)
        a.xor(.ecx, .ecx)
        a.bind(wordCompare)
        a.cmp(.rcx, .rdx)
        a.jcc(.e, wordMatched)
        a.mov(.r8b, .mem(.rax, .rcx))
        a.cmp(.r8b, .mem(.rsi, .rcx))
        a.jcc(.ne, wordNext)
        a.inc(.rcx)
        a.jmp(wordCompare)
        a.bind(wordMatched)
        a.mov(.r8b, .mem(.rax, .rdx))
        a.test(.r8b, .r8b)
        a.jcc(.z, wordFound)
        a.cmp(.r8b, 0x20)
        a.jcc(.e, wordFound)
        a.bind(wordNext)
        a.inc(.rax)
        a.jmp(wordLoop)
        a.bind(wordFound)
        a.mov(.eax, 1)
        a.ret()
        a.bind(wordMissing)
        a.xor(.eax, .eax)
        a.ret()

        // Identity map for the 64-bit entry: PML4 → PDPT 0 → 4 page directories for the low 4 GiB; the GiB
        // regions holding [output, output + init_size) above that get two more directories (and PDPT 1 when
        // past 512 GiB).
        a.bind(buildPageTables)
        a.lea(.rdi, .rip(pageTables))
        a.xor(.eax, .eax)
        a.mov(.ecx, Imm(pageTableSize / 8))
        a.stos(.qword, .rep)
        a.lea(.rdi, .rip(pageTables))
        a.lea(.rax, .mem(.rdi, 0x1007))
        a.mov(.mem(.rdi), .rax)
        for gib in 0..<4 {
            a.mov(.eax, Imm(gib))
            a.lea(.rdi, .rip(pageTables.address + Imm(0x2000 + gib * 0x1000)))
            a.call(mapGiB)
        }
        a.mov(.rax, .r14)
        a.shr(.rax, 30)
        a.cmp(.rax, 4)
        a.jcc(.b, lowEnough)
        a.lea(.rdi, .rip(pageTables.address + 0x6000))
        a.call(mapGiB)
        a.bind(lowEnough)
        a.mov(.eax, .mem(.r15, 0x260))
        a.lea(.rax, .mem(.r14, .rax, scale: 1, -1))
        a.shr(.rax, 30)
        a.cmp(.rax, 4)
        a.jcc(.b, mapped)
        a.lea(.rdi, .rip(pageTables.address + 0x7000))
        a.call(mapGiB)
        a.bind(mapped)
        a.lea(.rax, .rip(pageTables))
        a.mov(.cr3, .rax)
        a.ret()

        // Maps GiB number RAX with the 2 MiB-page directory at RDI and links it in.
        a.bind(mapGiB)
        a.mov(.rdx, .rax)
        a.shl(.rdx, 30)
        a.or(.rdx, 0x83)  // present, writable, 2 MiB
        a.xor(.ecx, .ecx)
        a.bind(mapLoop)
        a.mov(.mem(.rdi, .rcx, scale: 8), .rdx)
        a.add(.rdx, 0x20_0000)
        a.inc(.ecx)
        a.cmp(.ecx, 512)
        a.jcc(.b, mapLoop)
        a.lea(.r8, .rip(pageTables.address + 0x1000))  // PDPT 0
        a.mov(.rdx, .rax)
        a.shr(.rdx, 9)
        a.jcc(.z, linkDirectory)
        a.lea(.r8, .rip(pageTables.address + 0x8000))  // PDPT 1, for the PML4 slot past 512 GiB
        a.lea(.r9, .mem(.r8, 7))
        a.lea(.r10, .rip(pageTables))
        a.mov(.mem(.r10, .rdx, scale: 8), .r9)
        a.bind(linkDirectory)
        a.and(.eax, 511)
        a.lea(.r9, .mem(.rdi, 7))
        a.mov(.mem(.r8, .rax, scale: 8), .r9)
        a.ret()

        // Data.
        a.align(16)
        a.bind(gdt)
        a.dq(0, 0x00CF_9A00_0000_FFFF, 0x00AF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF)
        a.bind(gdtDescriptor)
        a.dw(31)
        a.dq(0)
        a.align(8)
        a.bind(idtDescriptor)
        a.dw(Imm(trapVectors * 16 - 1))
        a.dq(0)
        a.align(8)
        a.bind(bootParamsSlot)
        a.dq(0)
        a.bind(serialPortSlot)
        a.dw(0)
        a.bind(serialPorts)
        a.dw(0x3F8, 0x2F8, 0x3E8, 0x2E8)
        a.bind(noKASLRWord)
        a.ascii("nokaslr")
        a.align(8)
        a.bind(parameters)
        a.dq(Imm(p.outputLength), Imm(p.format.rawValue), Imm(Int(p.loadAddress)), 0, p.inverseTable ? 1 : 0,
             Imm(PayloadCheck.digest(p.payload)))
        a.align(4)
        a.bind(kernelInfo)
        a.bytes(KernelInfo(setupTypeMax: KernelInfo.linuxSetupTypeMax).encoded)
        a.bind(noLongModeMessage)
        a.asciz("mkbzimage: this CPU cannot run 64-bit code (no long mode); halting\r\n")
        a.bind(trapMessage)
        a.ascii("mkbzimage: CPU exception 0x")
        a.bind(trapVectorDigits)
        a.ascii("?? (error code 0x")
        a.bind(trapErrorDigits)
        a.ascii("????????) at RIP 0x")
        a.bind(trapRIPDigits)
        a.asciz("????????????????; halting\r\n")
        // Messages by BootFailure, reached through a table of offsets from the table's start.
        a.align(2)
        a.bind(failureMessages)
        let texts = (0..<BootFailure.count).map { Self.message(for: BootFailure(rawValue: $0)!) }
        var at = BootFailure.count * 2
        for text in texts {
            a.dw(Imm(at))
            at += text.utf8.count + 1
        }
        for text in texts { a.asciz(text) }
        a.align(16)
        a.bind(stub)
        a.bytes(stubCode.bytes)
        a.space(4)  // the CRC's place is never inside the stub
        a.align(512)
        a.bind(edata)
        // bss: the stub's own zeroed data first, then the decoder workspace, the IDT, the stack, the page tables.
        let stubOffset = a.offset(of: stub)!, edataOffset = a.offset(of: edata)!
        a.space(max(0, stubOffset + stubCode.memorySize - edataOffset))
        a.align(4096)
        a.bind(workspace)
        a.space(p.format.bootWorkspaceSize)
        a.align(16)
        a.bind(idt)
        a.space(trapVectors * 16)
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
                                  end: a.offset(of: end)!, symbols: a.symbols)
    }

    /// What the boot prints when the stub refuses to start the kernel.
    static func message(for failure: BootFailure) -> String {
        let problem: String
        switch failure {
        case .payloadDamaged: problem = "the kernel payload is damaged (its XXH64 does not match the image's)"
        case .wrongFormat: problem = "the boot stub does not decode this payload's format (a mixed-up image)"
        case .truncated: problem = "the kernel payload is damaged or could not be unpacked: the data ends early"
        case .badHeader: problem = "the kernel payload is damaged or could not be unpacked: bad header"
        case .badOffset: problem = "the kernel payload is damaged or could not be unpacked: a match points before the output"
        case .outputOverflow: problem = "the kernel payload is damaged or could not be unpacked: it unpacks larger than recorded"
        case .sizeMismatch: problem = "the kernel payload is damaged or could not be unpacked: it unpacks smaller than recorded"
        case .checksum: problem = "the kernel payload is damaged or could not be unpacked: its checksum does not match"
        case .notELF: problem = "the unpacked kernel is not an ELF64 x86-64 executable"
        case .badSegment: problem = "the unpacked kernel has a segment outside the memory reserved for it"
        case .relocationOutside: problem = "the kernel's relocation table points outside the kernel"
        case .badTable: problem = "the kernel's relocation table is malformed"
        }
        return "mkbzimage: \(problem); halting\r\n"
    }

    /// Prints the NUL-terminated string at ESI/RSI on the VGA text screen, when boot_params' screen_info (at
    /// EDX/RDX) describes one: from the cursor's row (at most three rows from the bottom), grey on black.
    static func vgaPrint(_ a: inout Assembler) {
        let long = a.mode == .bits64
        let m: (Int) -> Memory = { long ? .mem(.rdx, Imm($0)) : .mem(.edx, Imm($0)) }
        let done = a.label(), keep = a.label(), colour = a.label(), next = a.label()
        a.movzx(.ecx, .byte, m(0x07))  // orig_video_cols
        a.test(.ecx, .ecx)
        a.jcc(.z, done)
        a.movzx(.eax, .byte, m(0x0E))  // orig_video_lines
        a.cmp(.eax, 3)
        a.jcc(.b, done)
        a.sub(.eax, 3)
        a.cmp(.al, m(0x01))  // orig_y
        a.jcc(.b, keep)
        a.movzx(.eax, .byte, m(0x01))
        a.bind(keep)
        a.imul(.eax, .ecx)
        a.shl(.eax, 1)
        a.mov(.edi, 0xB8000)
        a.cmp(.byte, m(0x06), 7)  // orig_video_mode 7: monochrome
        a.jcc(.ne, colour)
        a.mov(.edi, 0xB0000)
        a.bind(colour)
        if long { a.add(.rdi, .rax) } else { a.add(.edi, .eax) }
        a.bind(next)
        a.mov(.al, long ? .mem(.rsi) : .mem(.esi))
        if long { a.inc(.rsi) } else { a.inc(.esi) }
        a.test(.al, .al)
        a.jcc(.z, done)
        a.cmp(.al, 0x20)
        a.jcc(.b, next)  // CR, LF
        a.mov(.ah, 0x07)
        a.mov(long ? .mem(.rdi) : .mem(.edi), .ax)
        if long { a.add(.rdi, 2) } else { a.add(.edi, 2) }
        a.jmp(next)
        a.bind(done)
    }

    /// Prints the NUL-terminated string at ESI (RSI in 64-bit mode) on the UART at I/O port CX, polling its line
    /// status (the port is not programmed: the loader or the firmware has set its speed).
    static func serialPrint(_ a: inout Assembler) {
        let long = a.mode == .bits64
        let next = a.label(), wait = a.label(), done = a.label()
        a.bind(next)
        a.mov(.bl, long ? .mem(.rsi) : .mem(.esi))
        a.test(.bl, .bl)
        a.jcc(.z, done)
        a.mov(.dx, .cx)
        a.add(.dx, 5)  // line status
        a.bind(wait)
        a.in(.al, .dx)
        a.test(.al, 0x20)
        a.jcc(.z, wait)
        a.mov(.dx, .cx)
        a.mov(.al, .bl)
        a.out(.dx, .al)
        if long { a.inc(.rsi) } else { a.inc(.esi) }
        a.jmp(next)
        a.bind(done)
    }
}
