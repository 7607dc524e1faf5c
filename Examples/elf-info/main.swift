// Example: list a vmlinux's sections and what the kernel's build would keep and collect from it, with ElfKit.
#if canImport(Glibc)
import Glibc
#endif
//   swift run elf-info path/to/vmlinux
import ElfKit

guard CommandLine.arguments.count == 2 else {
    print("usage: elf-info VMLINUX")
    exit(2)
}
let path = CommandLine.arguments[1]
do {
    let elf = try ELFFile(path: path)
    let kept = Set(try elf.stripped().keptSections)
    print("release: \(try elf.kernelRelease() ?? "unknown"), entry \(String(elf.header.entry, radix: 16))")
    for section in elf.sections.dropFirst() {
        let address = String(section.address, radix: 16)
        let mark = kept.contains(section.name) ? "keep" : "drop"
        print("\(mark)  [\(section.index)] \(section.name)  addr 0x\(address)  size \(section.size)")
    }
    let table = try RelocationTable(collecting: elf, rules: RelocationTable.rules(for: elf) ?? .linux6_1)
    print("relocations: \(table.r64.count) × 64-bit, \(table.inverse32.count) inverse, \(table.r32.count) × 32-bit")
} catch {
    print("\(path): \(error)")
    exit(1)
}
