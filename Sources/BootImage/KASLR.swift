import SetupHeader
import StubAsm
import StubCore

extension ImageAssembly {
    /// choose_virtual_base: the kernel's virtual base, as its own decompressor picks it (the virtual part only; the
    /// physical address stays where the loader put us). Unless the command line says nokaslr, a random slot of
    /// kernel_alignment steps within KERNEL_IMAGE_SIZE, from RDRAND when the CPU has it, mixed with the TSC. Writes
    /// the delta into the stub's parameters and sets loadflags' KASLR_FLAG when it moved the kernel.
    mutating func chooseVirtualBaseRoutine() {
        let chosen = a.label(), noRDRAND = a.label(), rdrandLoop = a.label(), rdrandGot = a.label()
        let loadflags = Memory.bootParams(.r15, .loadflags)
        let delta = Memory.rip(parameters.address + Imm(BootParameters.Offset.delta))
        a.bind(chooseVirtualBase)
        a.and(.byte, loadflags, ~Imm(LoadFlags.kaslr.rawValue) & 0xFF)  // off until we randomise
        a.mov(.qword, delta, 0)
        if p.virtualSlots > 0 {
            a.lea(.rsi, .rip(noKASLRWord))
            a.mov(.edx, Imm(ImageAssembly.noKASLR.utf8.count))
            a.call(findWord)
            a.test(.eax, .eax)
            a.jcc(.nz, chosen)
            a.rdtsc()
            a.shl(.rdx, 32)
            a.or(.rdx, .rax)
            a.mov(.r8, .rdx)
            a.push(.rbx)  // cpuid clobbers it
            a.mov(.eax, X86.CPUID.features)
            a.cpuid()
            a.pop(.rbx)
            a.bt(.ecx, X86.CPUID.rdrandBit)
            a.jcc(.nc, noRDRAND)
            a.mov(.ecx, 16)  // RDRAND may fail transiently: retry, as the kernel's does
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
            a.mov(delta, .rax)
            a.or(.byte, loadflags, Imm(LoadFlags.kaslr.rawValue))
        }
        a.bind(chosen)
        a.ret()
    }

    /// The command-line word that keeps the link-time virtual base.
    static let noKASLR = "nokaslr"
}
