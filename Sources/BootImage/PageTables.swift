import SetupHeader
import StubAsm

/// The identity maps the boot code runs on, in 2 MiB pages, at `pgtable` (page-aligned, in bss):
///   +0x0000 PML4, +0x1000 PDPT 0, +0x2000…+0x5000 the page directories of the low 4 GiB,
///   +0x6000 and +0x7000 the directories of the 1 GiB regions holding the start and the end of the init_size
///   buffer when it lies above 4 GiB (64-bit entry only), +0x8000 PDPT 1 for such a buffer beyond 512 GiB.
enum PageTableLayout {
    static let pml4 = 0x0000
    static let pdpt0 = 0x1000
    static let lowDirectories = 0x2000
    static let lowGiB = 4
    static let outputDirectory = 0x6000
    static let bufferEndDirectory = 0x7000
    static let pdpt1 = 0x8000
    static let size = 9 * X86.Page.size
}

extension ImageAssembly {
    /// startup_32's map of the low 4 GiB, at EBX + pgtable: PML4 → PDPT 0 → four directories of 2 MiB pages.
    mutating func identityMapLow4GiB() {
        let tables = pageTables.offset
        a.lea(.edi, .mem(.ebx, tables))
        a.xor(.eax, .eax)
        a.mov(.ecx, Imm(PageTableLayout.size / 4))
        a.stos(.dword, .rep)
        a.lea(.edi, .mem(.ebx, tables + Imm(PageTableLayout.pml4)))
        a.lea(.eax, .mem(.edi, Imm(PageTableLayout.pdpt0 - PageTableLayout.pml4) + X86.Page.table))
        a.mov(.mem(.edi), .eax)
        a.lea(.edi, .mem(.ebx, tables + Imm(PageTableLayout.pdpt0)))
        a.lea(.eax, .mem(.edi, Imm(PageTableLayout.lowDirectories - PageTableLayout.pdpt0) + X86.Page.table))
        a.mov(.ecx, Imm(PageTableLayout.lowGiB))
        storeEntries(step: X86.Page.size)
        a.lea(.edi, .mem(.ebx, tables + Imm(PageTableLayout.lowDirectories)))
        a.mov(.eax, X86.Page.large2M)
        a.mov(.ecx, Imm(PageTableLayout.lowGiB * X86.Page.entriesPerTable))
        storeEntries(step: X86.Page.largeSize)
    }

    /// ECX 32-bit entries from EAX up by `step`, at EDI.
    private mutating func storeEntries(step: Int) {
        let loop = a.here()
        a.mov(.mem(.edi), .eax)
        a.add(.eax, Imm(step))
        a.add(.edi, 8)
        a.dec(.ecx)
        a.jcc(.nz, loop)
    }

    /// build_page_tables, for the 64-bit entry: the low 4 GiB plus the GiB regions holding [output, output +
    /// init_size) above that (R14 = output, R15 = boot_params); loads CR3.
    mutating func pageTables64() {
        let lowEnough = a.label(), mapped = a.label()
        let tables = pageTables.address
        a.bind(buildPageTables)
        a.lea(.rdi, .rip(pageTables))
        a.xor(.eax, .eax)
        a.mov(.ecx, Imm(PageTableLayout.size / 8))
        a.stos(.qword, .rep)
        a.lea(.rdi, .rip(pageTables))
        a.lea(.rax, .mem(.rdi, Imm(PageTableLayout.pdpt0) + X86.Page.table))
        a.mov(.mem(.rdi), .rax)
        for gib in 0..<PageTableLayout.lowGiB {
            a.mov(.eax, Imm(gib))
            a.lea(.rdi, .rip(tables + Imm(PageTableLayout.lowDirectories + gib * X86.Page.size)))
            a.call(mapGiB)
        }
        a.mov(.rax, .r14)
        a.shr(.rax, 30)
        a.cmp(.rax, Imm(PageTableLayout.lowGiB))
        a.jcc(.b, lowEnough)
        a.lea(.rdi, .rip(tables + Imm(PageTableLayout.outputDirectory)))
        a.call(mapGiB)
        a.bind(lowEnough)
        a.mov(.eax, .bootParams(.r15, .init_size))
        a.lea(.rax, .mem(.r14, .rax, scale: 1, -1))
        a.shr(.rax, 30)
        a.cmp(.rax, Imm(PageTableLayout.lowGiB))
        a.jcc(.b, mapped)
        a.lea(.rdi, .rip(tables + Imm(PageTableLayout.bufferEndDirectory)))
        a.call(mapGiB)
        a.bind(mapped)
        a.lea(.rax, .rip(pageTables))
        a.mov(.cr3, .rax)
        a.ret()
        mapGiBRoutine()
    }

    /// map_gib: maps GiB number RAX with the 2 MiB-page directory at RDI and links it in (PDPT 0, or PDPT 1 in
    /// the PML4 slot past 512 GiB).
    private mutating func mapGiBRoutine() {
        let loop = a.label(), link = a.label()
        let tables = pageTables.address
        a.bind(mapGiB)
        a.mov(.rdx, .rax)
        a.shl(.rdx, 30)
        a.or(.rdx, X86.Page.large2M)
        a.xor(.ecx, .ecx)
        a.bind(loop)
        a.mov(.mem(.rdi, .rcx, scale: 8), .rdx)
        a.add(.rdx, Imm(X86.Page.largeSize))
        a.inc(.ecx)
        a.cmp(.ecx, Imm(X86.Page.entriesPerTable))
        a.jcc(.b, loop)
        a.lea(.r8, .rip(tables + Imm(PageTableLayout.pdpt0)))
        a.mov(.rdx, .rax)
        a.shr(.rdx, 9)
        a.jcc(.z, link)
        a.lea(.r8, .rip(tables + Imm(PageTableLayout.pdpt1)))
        a.lea(.r9, .mem(.r8, X86.Page.table))
        a.lea(.r10, .rip(pageTables))
        a.mov(.mem(.r10, .rdx, scale: 8), .r9)
        a.bind(link)
        a.and(.eax, Imm(X86.Page.entriesPerTable - 1))
        a.lea(.r9, .mem(.rdi, X86.Page.table))
        a.mov(.mem(.r8, .rax, scale: 8), .r9)
        a.ret()
    }
}
