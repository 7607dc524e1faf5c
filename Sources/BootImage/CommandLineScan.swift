import SetupHeader
import StubAsm

/// Reading the kernel command line in the boot code: the serial port for messages, and whole words (`nokaslr`).
extension ImageAssembly {
    /// The longest command line the scans read: cmdline_size + 1.
    static let commandLineLimit: Imm = 2048

    /// RAX = the command line's address (cmd_line_ptr | ext_cmd_line_ptr << 32, from boot_params at R15), ZF set
    /// when there is none; clobbers `scratch`.
    private mutating func loadCommandLine(scratch: Reg64, _ scratch32: Reg32) {
        a.mov(.eax, .bootParams(.r15, .cmd_line_ptr))
        a.mov(scratch32, .bootParams(.r15, .ext_cmd_line_ptr))
        a.shl(scratch, 32)
        a.or(.rax, scratch)
    }

    /// find_serial_port: sets serial_port from the first "ttyS<n>" (n = 0…3) on the command line, 0 without one.
    mutating func findSerialPortRoutine() {
        let loop = a.label(), next = a.label(), done = a.label()
        a.bind(findSerialPort)
        a.mov(.word, .rip(serialPortSlot), 0)
        loadCommandLine(scratch: .rdx, .edx)
        a.jcc(.z, done)
        a.lea(.rcx, .mem(.rax, Self.commandLineLimit))
        a.bind(loop)
        a.cmp(.rax, .rcx)
        a.jcc(.ae, done)
        a.cmp(.byte, .mem(.rax), 0)
        a.jcc(.z, done)
        a.cmp(.dword, .mem(.rax), Imm(0x5379_7474))  // "ttyS"
        a.jcc(.ne, next)
        a.movzx(.edx, .byte, .mem(.rax, 4))
        a.sub(.edx, Imm(0x30))  // "0"
        a.cmp(.edx, Imm(UART.ports.count - 1))
        a.jcc(.a, next)
        a.lea(.rax, .rip(serialPorts))
        a.movzx(.edx, .word, .mem(.rax, .rdx, scale: 2))
        a.mov(.rip(serialPortSlot), .dx)
        a.ret()
        a.bind(next)
        a.inc(.rax)
        a.jmp(loop)
        a.bind(done)
        a.ret()
    }

    /// find_word: EAX = 1 when the command line holds the word at RSI (RDX bytes) on its own (space- or
    /// end-delimited), else 0.
    mutating func findWordRoutine() {
        let loop = a.label(), check = a.label(), compare = a.label(), matched = a.label(), next = a.label()
        let found = a.label(), missing = a.label()
        a.bind(findWord)
        loadCommandLine(scratch: .r8, .r8d)
        a.jcc(.z, missing)
        a.mov(.r9, .rax)
        a.lea(.r10, .mem(.rax, Self.commandLineLimit))
        a.bind(loop)
        a.cmp(.rax, .r10)
        a.jcc(.ae, missing)
        a.cmp(.byte, .mem(.rax), 0)
        a.jcc(.z, missing)
        a.cmp(.rax, .r9)
        a.jcc(.e, check)
        a.cmp(.byte, .mem(.rax, -1), 0x20)
        a.jcc(.ne, next)
        a.bind(check)
        a.xor(.ecx, .ecx)
        a.bind(compare)
        a.cmp(.rcx, .rdx)
        a.jcc(.e, matched)
        a.mov(.r8b, .mem(.rax, .rcx))
        a.cmp(.r8b, .mem(.rsi, .rcx))
        a.jcc(.ne, next)
        a.inc(.rcx)
        a.jmp(compare)
        a.bind(matched)
        a.mov(.r8b, .mem(.rax, .rdx))
        a.test(.r8b, .r8b)
        a.jcc(.z, found)
        a.cmp(.r8b, 0x20)
        a.jcc(.e, found)
        a.bind(next)
        a.inc(.rax)
        a.jmp(loop)
        a.bind(found)
        a.mov(.eax, 1)
        a.ret()
        a.bind(missing)
        a.xor(.eax, .eax)
        a.ret()
    }
}
