import SetupHeader
import StubAsm

/// Console output of the boot code: the messages it prints before it halts, on the serial port the command
/// line names and on the VGA text screen that boot_params' screen_info describes.
extension ImageAssembly {
    /// hex_digits: writes the low RCX hex digits of RAX at RDI.
    mutating func hexDigitsRoutine() {
        let loop = a.label(), digit = a.label()
        a.bind(hexDigits)
        a.bind(loop)
        a.mov(.edx, .eax)
        a.and(.edx, 15)
        a.add(.edx, Imm(0x30))  // "0"
        a.cmp(.edx, Imm(0x39))  // "9"
        a.jcc(.be, digit)
        a.add(.edx, 7)  // "A" − "9" − 1
        a.bind(digit)
        a.mov(.mem(.rdi, .rcx, scale: 1, -1), .dl)
        a.shr(.rax, 4)
        a.dec(.ecx)
        a.jcc(.nz, loop)
        a.ret()
    }

    /// report: prints the string at RSI on the serial port the command line named and on the VGA text screen.
    mutating func reportRoutine() {
        let done = a.label()
        a.bind(report)
        a.push(.rsi)
        a.mov(.rdx, .rip(bootParamsSlot))
        vgaPrint()
        a.pop(.rsi)
        a.movzx(.ecx, .word, .rip(serialPortSlot))
        a.test(.ecx, .ecx)
        a.jcc(.z, done)
        serialPrint()
        a.bind(done)
        a.ret()
    }

    /// Prints the NUL-terminated string at ESI/RSI on the VGA text screen, when boot_params' screen_info (at
    /// EDX/RDX) describes one: from the cursor's row (at most three rows from the bottom), grey on black.
    mutating func vgaPrint() {
        let long = a.mode == .bits64
        let m: (BootParams.Field) -> Memory = { long ? .bootParams(.rdx, $0) : .bootParams(.edx, $0) }
        let done = a.label(), keep = a.label(), colour = a.label(), next = a.label()
        a.movzx(.ecx, .byte, m(.orig_video_cols))
        a.test(.ecx, .ecx)
        a.jcc(.z, done)
        a.movzx(.eax, .byte, m(.orig_video_lines))
        a.cmp(.eax, 3)
        a.jcc(.b, done)
        a.sub(.eax, 3)
        a.cmp(.al, m(.orig_y))
        a.jcc(.b, keep)
        a.movzx(.eax, .byte, m(.orig_y))
        a.bind(keep)
        a.imul(.eax, .ecx)
        a.shl(.eax, 1)
        a.mov(.edi, VGA.colourText)
        a.cmp(.byte, m(.orig_video_mode), VGA.monochromeMode)
        a.jcc(.ne, colour)
        a.mov(.edi, VGA.monochromeText)
        a.bind(colour)
        if long { a.add(.rdi, .rax) } else { a.add(.edi, .eax) }
        a.bind(next)
        a.mov(.al, long ? .mem(.rsi) : .mem(.esi))
        if long { a.inc(.rsi) } else { a.inc(.esi) }
        a.test(.al, .al)
        a.jcc(.z, done)
        a.cmp(.al, 0x20)
        a.jcc(.b, next)  // CR, LF
        a.mov(.ah, VGA.attribute)
        a.mov(long ? .mem(.rdi) : .mem(.edi), .ax)
        if long { a.add(.rdi, 2) } else { a.add(.edi, 2) }
        a.jmp(next)
        a.bind(done)
    }

    /// Prints the NUL-terminated string at ESI (RSI in 64-bit mode) on the UART at I/O port CX, polling its line
    /// status (the port is not programmed: the loader or the firmware has set its speed).
    mutating func serialPrint() {
        let long = a.mode == .bits64
        let next = a.label(), wait = a.label(), done = a.label()
        a.bind(next)
        a.mov(.bl, long ? .mem(.rsi) : .mem(.esi))
        a.test(.bl, .bl)
        a.jcc(.z, done)
        a.mov(.dx, .cx)
        a.add(.dx, UART.lineStatus)
        a.bind(wait)
        a.in(.al, .dx)
        a.test(.al, UART.transmitterEmpty)
        a.jcc(.z, wait)
        a.mov(.dx, .cx)
        a.mov(.al, .bl)
        a.out(.dx, .al)
        if long { a.inc(.rsi) } else { a.inc(.esi) }
        a.jmp(next)
        a.bind(done)
    }
}
