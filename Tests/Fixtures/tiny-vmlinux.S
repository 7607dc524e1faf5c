# A tiny kernel-shaped ELF: linked at 0xffffffff81000000 with --emit-relocs, a .data..percpu section linked at 0
# (as 6.1 kernels are), a linux_banner, an ELF note with relocations, and one relocation of every kind the
# kernel's relocs tool classifies. The expected table is in ElfKitTests/TinyVmlinuxTests.swift.
        .section .text, "ax"
        .globl _start
_start:
        movq    $data_var, %rax          # R_X86_64_32S → R32
        movabsq $data_var, %rbx          # R_X86_64_64 → R64
        movq    %gs:percpu_var, %rcx     # R_X86_64_32S against a per-cpu symbol → ignored
        leaq    percpu_var(%rip), %rdx   # R_X86_64_PC32 against a per-cpu symbol → INV32
        leaq    data_var(%rip), %rdx     # R_X86_64_PC32, not per-cpu → ignored
        call    func                     # R_X86_64_PLT32 → ignored
        movl    $__crc_tiny, %eax        # R_X86_64_32 against a whitelisted absolute symbol → ignored
        movq    $_end, %rax              # R_X86_64_32S against _end (S_REL: relative after all) → R32

        .section .text.unlikely, "ax"
        .globl func
func:
        ret

        .section .rodata, "a"
        .globl linux_banner
linux_banner:
        .asciz "Linux version 6.1.0-tiny (test@example) #1 SMP"

        .section .notes, "a", @note
        .long 4, 8, 1
        .asciz "Xen"
        .quad data_var                   # R_X86_64_64 inside a note → skipped

        .section .data, "aw"
        .globl data_var
data_var:
        .quad _start                     # R_X86_64_64 → R64
        .long __end_rodata               # R_X86_64_32 against an absolute symbol that S_REL names → R32
        .weak missing
        .quad missing                    # against an undefined weak symbol → ignored

        .section .data..percpu, "aw"
        .globl percpu_var
percpu_var:
        .quad 0
        .quad data_var                   # R_X86_64_64 in .data..percpu → offset + __per_cpu_load

        .section .bss, "aw", @nobits
        .zero 64

# __crc_tiny and __end_rodata are absolute symbols defined by the linker script.

        .section .comment, "MS", @progbits, 1
        .asciz "tiny test"

# Kept by strip although not loaded: objcopy places them after the loaded bytes.
        .section .mynote, "", @note
        .long 4, 4, 7
        .asciz "abc"
        .long 1
        .section .extra, "", @progbits
        .balign 16
        .quad 1, 2, 3
