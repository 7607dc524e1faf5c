import SetupHeader
import StubAsm
import StubCore

/// The PE entry (AddressOfEntryPoint) of an image built for UEFI, and the thunk its Swift half calls the firmware
/// through. The firmware enters in long mode on its own identity map and stack, with the Microsoft x64 ABI:
/// RCX = ImageHandle, RDX = SystemTable, RSP ≡ 8 (mod 16). `stub_efi_main` (StubCore/EFIBoot.swift) does a
/// loader's work and exits boot services; then the boot goes on at startup_64 of the image's copy in the
/// init_size buffer, RSI = boot_params, as after any 64-bit loader. Before ExitBootServices a failure returns
/// its status to the firmware, which shows the stub's message on its console.
extension ImageAssembly {
    /// The labels of the EFI part.
    struct EFILabels {
        let peEntry: Label, handover: Label, call: Label, parameters: Label, header: Label, stub: Label, sbat: Label
    }

    /// The `.sbat` section's CSV on pages of its own at the end of the file's bytes (nothing runs or is read
    /// from it at boot).
    mutating func sbatData(_ csv: [UInt8], _ efi: EFILabels) {
        a.align(X86.Page.size)
        a.bind(efi.sbat)
        a.bytes(csv)
    }

    /// The EFI handover entry (handover_offset from startup_64; GRUB's `linuxefi`, OVMF's legacy loader with a
    /// handover-capable image): System V, RDI = ImageHandle, RSI = SystemTable, RDX = the loader's boot_params,
    /// any stack alignment. Continues as the PE entry does; a failure returns to the loader.
    mutating func handoverEntry(_ efi: EFILabels, stub efiStub: Stub) {
        let failed = a.label()
        a.align(16)
        a.bind(efi.handover)
        for register in Self.sysVCalleeSaved { a.push(register) }
        a.mov(.rbp, .rsp)
        a.and(.rsp, -16)
        a.sub(.rsp, 16)  // the handoff: boot_params in, {boot_params, entry} out
        a.mov(.mem(.rsp), .rdx)
        callStubAndEnterKernel("stub_efi_handover", efi, efiStub, failed: failed)
        a.bind(failed)
        a.mov(.rsp, .rbp)
        for register in Self.sysVCalleeSaved.reversed() { a.pop(register) }
        a.ret()
    }

    static let sysVCalleeSaved: [Reg64] = [.rbx, .rbp, .r12, .r13, .r14, .r15]

    /// Both entries' second half, with RDI = ImageHandle, RSI = SystemTable and the handoff at RSP: the seed, then
    /// `entry`(…, efi_call, startup_32, efi_parameters, handoff); on success boot services are gone (the
    /// firmware's interrupts too): on to the copy's startup_64, RSI = boot_params. A status goes to `failed`.
    private mutating func callStubAndEnterKernel(_ entry: String, _ efi: EFILabels, _ efiStub: Stub, failed: Label) {
        storeSeed()
        a.lea(.rdx, .rip(efi.call))
        a.lea(.rcx, .rip(startup32))
        a.lea(.r8, .rip(efi.parameters))
        a.mov(.r9, .rsp)
        a.lea(.rax, .rip(efi.stub.address + Imm(efiStub.entries[entry]!)))
        a.call(.rax)
        a.test(.rax, .rax)
        a.jcc(.nz, failed)
        a.cli()
        a.mov(.rsi, .mem(.rsp))
        a.mov(.rax, .mem(.rsp, 8))
        a.jmp(.rax)
    }

    /// The TSC into the handoff's second word: a seed physical KASLR mixes with EFI_RNG's (clobbers RAX, RDX).
    private mutating func storeSeed() {
        a.rdtsc()
        a.shl(.rdx, 32)
        a.or(.rax, .rdx)
        a.mov(.mem(.rsp, 8), .rax)
    }

    /// Callee-saved registers of the Microsoft ABI that the System V stub may change (RSI and RDI are).
    static let msCalleeSaved: [Reg64] = [.rbx, .rbp, .rdi, .rsi, .r12, .r13, .r14, .r15]

    mutating func efiEntry(_ efi: EFILabels, stub efiStub: Stub) {
        let failed = a.label()
        a.align(16)
        a.bind(efi.peEntry)
        for register in Self.msCalleeSaved { a.push(register) }
        a.sub(.rsp, 24)  // the handoff {boot_params, entry}; RSP ≡ 0 (mod 16) for the System V call
        a.mov(.rdi, .rcx)
        a.mov(.rsi, .rdx)
        callStubAndEnterKernel("stub_efi_main", efi, efiStub, failed: failed)
        a.bind(failed)
        a.add(.rsp, 24)
        for register in Self.msCalleeSaved.reversed() { a.pop(register) }
        a.ret()  // RAX = the EFI status

        handoverEntry(efi, stub: efiStub)

        // efi_call(function, a1 … a5), System V → Microsoft x64: the first four arguments in RCX, RDX, R8, R9,
        // the fifth above 32 bytes of shadow space, RSP 16-byte aligned at the call.
        a.align(16)
        a.bind(efi.call)
        a.push(.rbp)
        a.mov(.rbp, .rsp)
        a.sub(.rsp, 48)
        a.and(.rsp, -16)
        a.mov(.mem(.rsp, 32), .r9)
        a.mov(.rax, .rdi)
        a.mov(.r10, .rcx)
        a.mov(.rcx, .rsi)
        a.mov(.r9, .r8)
        a.mov(.r8, .r10)
        a.call(.rax)
        a.mov(.rsp, .rbp)
        a.pop(.rbp)
        a.ret()

        // EFIParameters: offsets from startup_32, resolved when the image is assembled.
        a.align(8)
        a.bind(efi.parameters)
        a.dq(edata.offset, efi.header.offset, Imm(SetupHeader.end - SetupHeader.start), startup64.offset,
             payload.offset, payloadEnd.offset - payload.offset, parameters.offset)
        // The image's setup header, filled in by the image writer once its fields are known: the EFI entry
        // reads it from here, since loaders need not load the PE headers into memory.
        a.bind(efi.header)
        a.space(SetupHeader.end - SetupHeader.start)
        a.align(16)
        a.bind(efi.stub)
        // It runs in place, from the PE image's read-only code: it may have no writable data.
        precondition(efiStub.memorySize == efiStub.bytes.count, "the EFI stub has a .bss or .data")
        a.bytes(efiStub.bytes)
    }
}
