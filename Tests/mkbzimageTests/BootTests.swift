import Foundation
import Testing
import TestSupport

/// Real boots under QEMU (TCG): Debian's 6.1 cloud kernel from images with our own boot code, to the marker a
/// tiny init prints. QEMU -kernel enters through our 16-bit setup.
@Suite(.serialized) struct BootTests {
    static let marker = "MKBZIMAGE-INIT-OK"

    /// An initramfs of busybox and an /init that prints the marker and powers off.
    static func initramfs(in dir: TemporaryDirectory) throws -> String {
        let root = dir.file("initramfs")
        let script = """
            set -e
            mkdir -p \(root)/bin
            cp /bin/busybox \(root)/bin/busybox
            printf '#!/bin/busybox sh\\n/bin/busybox echo \(marker)\\n/bin/busybox poweroff -f\\n' > \(root)/init
            chmod +x \(root)/init
            cd \(root) && find . | cpio -o -H newc --quiet > \(dir.file("init.cpio"))
            """
        #expect(try shell(script) == 0)
        return dir.file("init.cpio")
    }

    /// Boots `image` and returns the serial console's text.
    static func boot(_ image: String, initramfs: String, dir: TemporaryDirectory, seconds: Int = 120) throws -> String {
        let log = dir.file("serial.log")
        _ = try shell("timeout \(seconds) qemu-system-x86_64 -m 1G -nographic -no-reboot -kernel \(image) "
            + "-initrd \(initramfs) -append 'console=ttyS0 panic=-1 rdinit=/init' > \(log) 2>&1 < /dev/null")
        return String(decoding: try Fixtures.bytes(log), as: UTF8.self)
    }

    @Test(arguments: ["lz4", "gzip", "zstd", "bzip2", "lzma", "xz", "lzo"])
    func debian61BootsToInit(compression: String) throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage")
        let built = try CommandRunner.run(["build", kernel.vmlinux, "--compress", compression, "-o", image])
        #expect(built.status == 0, "\(built.stderr)")
        let console = try Self.boot(image, initramfs: try Self.initramfs(in: dir), dir: dir)
        #expect(console.contains("Linux version 6.1.0"), "the kernel did not start:\n\(console.suffix(2000))")
        #expect(console.contains(Self.marker), "init was not reached:\n\(console.suffix(2000))")
        // Our image reads back cleanly and the same build gives the same bytes.
        let again = try CommandRunner.run(["build", kernel.vmlinux, "--compress", compression, "-o", dir.file("again")])
        #expect(again.status == 0)
        #expect(try Fixtures.bytes(image) == (try Fixtures.bytes(dir.file("again"))))
        let dump = try CommandRunner.run(["--dump-header", image])
        #expect(dump.status == 0 && !String(decoding: dump.stdout, as: UTF8.self).contains("error:"))
    }

    /// KASLR as the kernel's own decompressor does it (the virtual part): each boot picks a random
    /// kernel_alignment slot within KERNEL_IMAGE_SIZE and the stub relocates the kernel there; `nokaslr` keeps
    /// the link-time base. Read back from /proc/kallsyms' _text by the init.
    @Test func kaslrMovesTheKernelsVirtualBase() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage"), root = dir.file("initramfs")
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "--compress", "lz4", "-o", image]).status == 0)
        let script = """
            set -e
            mkdir -p \(root)/bin \(root)/proc
            cp /bin/busybox \(root)/bin/busybox
            printf '#!/bin/busybox sh\\n/bin/busybox mount -t proc proc /proc\\n/bin/busybox grep " _text$" /proc/kallsyms\\n/bin/busybox echo \(Self.marker)\\n/bin/busybox poweroff -f\\n' > \(root)/init
            chmod +x \(root)/init
            cd \(root) && find . | cpio -o -H newc --quiet > \(dir.file("kallsyms.cpio"))
            """
        #expect(try shell(script) == 0)
        func textAddress(_ options: String) throws -> UInt64? {
            let log = dir.file("serial.log")
            _ = try shell("timeout 120 qemu-system-x86_64 -m 1G -nographic -no-reboot -kernel \(image) "
                + "-initrd \(dir.file("kallsyms.cpio")) -append 'console=ttyS0 panic=-1 rdinit=/init \(options)' "
                + "> \(log) 2>&1 < /dev/null")
            let console = String(decoding: try Fixtures.bytes(log), as: UTF8.self)
            #expect(console.contains(Self.marker), "init was not reached (\(options)):\n\(console.suffix(2000))")
            let line = console.split(whereSeparator: \.isNewline).first { $0.hasSuffix(" T _text") }
            return line.flatMap { UInt64($0.prefix { $0 != " " }, radix: 16) }
        }
        let linked: UInt64 = 0xFFFF_FFFF_8100_0000
        #expect(try textAddress("nokaslr") == linked)
        let randomised = [try textAddress(""), try textAddress("")].compactMap { $0 }
        #expect(randomised.count == 2)
        for base in randomised {
            #expect(base >= linked && base < 0xFFFF_FFFF_C000_0000 && base % 0x20_0000 == 0, "\(String(base, radix: 16))")
        }
        // A slot among ~480: both boots on the link-time base would mean no randomisation.
        #expect(randomised.contains { $0 != linked }, "\(randomised.map { String($0, radix: 16) })")
    }

    /// Debian's 6.12 vmlinux has no .rela.* left; with the relocation table taken from its own vmlinuz
    /// (`--relocs-from`, the same table as the build tree's vmlinux.relocs or `extract` give) our image boots it
    /// too, KASLR included; with `--no-relocs` (no table) it boots at its link-time virtual address.
    @Test func debian612BootsWithATableFromItsVmlinuz() throws {
        let kernel = try Fixtures.kernel("6.12")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let table = dir.file("vmlinux.relocs"), image = dir.file("bzImage")
        let built = try CommandRunner.run(["--compress=lz4", kernel.vmlinux, "--relocs-from", kernel.vmlinuz, "-o", image])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(try CommandRunner.run(["extract", kernel.vmlinuz, "--relocs", table]).status == 0)
        let viaFile = try CommandRunner.run(["--compress=lz4", kernel.vmlinux, "--relocs", table, "-o", dir.file("b")])
        #expect(viaFile.status == 0)
        #expect(try Fixtures.bytes(image) == (try Fixtures.bytes(dir.file("b"))))
        let initramfs = try Self.initramfs(in: dir)
        let console = try Self.boot(image, initramfs: initramfs, dir: dir)
        #expect(console.contains("Linux version 6.12."), "the kernel did not start:\n\(console.suffix(2000))")
        #expect(console.contains(Self.marker), "init was not reached:\n\(console.suffix(2000))")

        let unrelocated = dir.file("norelocs")
        #expect(try CommandRunner.run(["--compress=lz4", kernel.vmlinux, "--no-relocs", "-o", unrelocated]).status == 0)
        let plain = try Self.boot(unrelocated, initramfs: initramfs, dir: dir)
        #expect(plain.contains(Self.marker), "init was not reached without a table:\n\(plain.suffix(2000))")
    }

    /// OVMF's `-kernel` with an image that has no PE header: the firmware's legacy Linux loader enters the 32-bit
    /// entry after ExitBootServices, with boot_params (e820, screen_info) of its own.
    @Test func debian61BootsThroughOVMF() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage"), log = dir.file("serial.log")
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "--compress", "lz4", "-o", image]).status == 0)
        _ = try shell("timeout 240 qemu-system-x86_64 -m 1G -bios /usr/share/ovmf/OVMF.fd -nographic -no-reboot "
            + "-kernel \(image) -initrd \(try Self.initramfs(in: dir)) -append 'console=ttyS0 panic=-1 rdinit=/init' "
            + "> \(log) 2>&1 < /dev/null")
        let console = String(decoding: try Fixtures.bytes(log), as: UTF8.self)
        #expect(console.contains(Self.marker), "init was not reached through OVMF:\n\(console.suffix(2000))")
    }

    /// GRUB's `linux` on BIOS (a grub-mkrescue ISO) enters through startup_32 with GRUB's own boot_params.
    @Test(arguments: ["lz4", "gzip"])
    func debian61BootsThroughGrubLinux(compression: String) throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let iso = dir.file("iso")
        try FileManager.default.createDirectory(atPath: iso + "/boot/grub", withIntermediateDirectories: true)
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "--compress", compression, "-o", iso + "/boot/bzImage"]).status == 0)
        try FileManager.default.copyItem(atPath: try Self.initramfs(in: dir), toPath: iso + "/boot/init.cpio")
        let config = """
            serial --unit=0 --speed=115200
            terminal_input serial
            terminal_output serial
            set timeout=0
            menuentry "mkbzimage" {
              linux /boot/bzImage console=ttyS0 panic=-1 rdinit=/init
              initrd /boot/init.cpio
            }

            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: iso + "/boot/grub/grub.cfg"))
        #expect(try shell("grub-mkrescue -o \(dir.file("grub.iso")) \(iso) > \(dir.file("mkrescue.log")) 2>&1") == 0)
        let log = dir.file("serial.log")
        _ = try shell("timeout 180 qemu-system-x86_64 -m 1G -nographic -no-reboot -cdrom \(dir.file("grub.iso")) "
            + "-boot d > \(log) 2>&1 < /dev/null")
        let console = String(decoding: try Fixtures.bytes(log), as: UTF8.self)
        #expect(console.contains(Self.marker), "init was not reached through GRUB (\(compression)):\n\(console.suffix(2000))")
    }

    /// Boots an image that is expected to stop in our boot code: the serial console's text and the VGA text
    /// screen (read from guest memory through the QEMU monitor) after `seconds`.
    static func bootToHalt(_ image: String, dir: TemporaryDirectory, seconds: Int = 12, cpu: String = "qemu64") throws
        -> (serial: String, screen: String)
    {
        let log = dir.file("serial.log"), vga = dir.file("vga.bin")
        _ = try shell("(sleep \(seconds); echo 'pmemsave 0xb8000 4000 \"\(vga)\"'; sleep 1; echo quit) | timeout \(seconds + 20) "
            + "qemu-system-x86_64 -cpu \(cpu) -m 1G -display none -monitor stdio -serial file:\(log) -no-reboot -kernel \(image) "
            + "-append 'console=ttyS0 panic=-1' > /dev/null 2>&1")
        let cells = try Fixtures.bytes(vga)
        let screen = stride(from: 0, to: cells.count, by: 2).map { Character(UnicodeScalar(cells[$0])) }
        let rows = stride(from: 0, to: screen.count, by: 80).map { String(screen[$0..<min($0 + 80, screen.count)]) }
        return (String(decoding: try Fixtures.bytes(log), as: UTF8.self), rows.joined(separator: "\n"))
    }

    /// LZ4 has no checksum: 16 flipped bytes mid-payload are caught by the XXH64 digest the image records, reported on the
    /// serial console and the VGA screen, and the machine stops instead of running a corrupt kernel.
    @Test func aDamagedLZ4PayloadStopsWithAMessage() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage")
        #expect(try CommandRunner.run(["--compress=lz4", kernel.vmlinux, "-o", image]).status == 0)
        var bytes = try Fixtures.bytes(image)
        let payloadStart = (Int(bytes[0x1F1]) + 1) * 512 + Int(bytes.get(UInt32.self, at: 0x248))
        let payloadLength = Int(bytes.get(UInt32.self, at: 0x24C))
        for i in 0..<16 { bytes[payloadStart + payloadLength / 2 + i] ^= 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: image))
        let (serial, screen) = try Self.bootToHalt(image, dir: dir)
        let message = "mkbzimage: the kernel payload is damaged (its XXH64 does not match"
        #expect(serial.contains(message), "\(serial.suffix(2000))")
        #expect(!serial.contains("Linux version"))
        #expect(screen.contains(message), "not on the VGA screen:\n\(screen)")
    }

    /// A 32-bit-only CPU gets a message from startup_32 (on COM1 and VGA) instead of a reset.
    @Test func aCPUWithoutLongModeIsTold() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage")
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "--compress", "lz4", "-o", image]).status == 0)
        let (serial, screen) = try Self.bootToHalt(image, dir: dir, seconds: 5, cpu: "qemu32")
        let message = "mkbzimage: this CPU cannot run 64-bit code (no long mode)"
        #expect(serial.contains(message), "\(serial.suffix(2000))")
        #expect(screen.contains(message), "\(screen)")
    }

    /// A fault in the boot code is reported with its vector and RIP: a ud2 planted where the stub is called
    /// (found through `--map`) gives #UD (6) at the address the image runs from after its move.
    @Test func aFaultInTheBootCodeIsReported() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage"), map = dir.file("bzImage.map")
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "-o", image, "--map", map]).status == 0)
        let symbols = Dictionary(String(decoding: try Fixtures.bytes(map), as: UTF8.self).split(separator: "\n").map {
            let fields = $0.split(separator: " ")
            return (String(fields[1]), Int(fields[0], radix: 16)!)
        }, uniquingKeysWith: { first, _ in first })
        let call = try #require(symbols["stub_call"]), end = try #require(symbols["_end"])
        var bytes = try Fixtures.bytes(image)
        let setupSize = (Int(bytes[0x1F1]) + 1) * 512
        bytes[setupSize + call] = 0x0F
        bytes[setupSize + call + 1] = 0x0B
        try Data(bytes).write(to: URL(fileURLWithPath: image))
        // QEMU -kernel loads at 1 MiB: the output is LOAD_PHYSICAL_ADDR (16 MiB), the image moves to its init_size end.
        let initSize = Int(bytes.get(UInt32.self, at: 0x260))
        let rip = String(0x100_0000 + initSize - end + call, radix: 16, uppercase: true)
        let expected = "mkbzimage: CPU exception 0x06 (error code 0x00000000) at RIP 0x"
            + String(repeating: "0", count: 16 - rip.count) + rip
        let (serial, screen) = try Self.bootToHalt(image, dir: dir)
        #expect(serial.contains(expected), "\(serial.suffix(2000))")
        #expect(screen.contains("mkbzimage: CPU exception 0x06"), "\(screen)")
    }

    /// kexec enters at startup_64 with its own page tables (xloadflags 0x3): through kexec-tools' loader
    /// (kexec_load), which puts the image at the top of memory — above 4 GiB with 6 GiB of RAM — and through the
    /// kernel's kexec_file_load. The first kernel boots from our image too.
    @Test(arguments: ["kexec_load", "kexec_file_load"])
    func debian61KexecsIntoOurImage(syscall: String) throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage")
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "-o", image]).status == 0)
        let stage1 = dir.file("stage1"), stage2 = dir.file("stage2")
        let script = """
            set -e
            mkdir -p \(stage2)/bin \(stage2)/proc \(stage1)/bin \(stage1)/proc \(stage1)/sys
            cp /bin/busybox \(stage2)/bin/ && cp /bin/busybox \(stage1)/bin/
            printf '#!/bin/busybox sh\\n/bin/busybox mount -t proc proc /proc\\n/bin/busybox echo \(Self.marker)\\n/bin/busybox grep "Kernel code" /proc/iomem\\n/bin/busybox poweroff -f\\n' > \(stage2)/init
            chmod +x \(stage2)/init
            (cd \(stage2) && find . | cpio -o -H newc --quiet > \(stage1)/stage2.cpio)
            mkdir -p \(stage1)/usr/sbin && cp /usr/sbin/kexec \(stage1)/usr/sbin/
            for lib in $(ldd /usr/sbin/kexec | grep -o '/lib[^ ]*'); do mkdir -p \(stage1)$(dirname $lib); cp -L $lib \(stage1)$lib; done
            cp \(image) \(stage1)/bzImage
            printf '#!/bin/busybox sh\\n/bin/busybox mount -t proc proc /proc\\n/bin/busybox mount -t sysfs sys /sys\\n/usr/sbin/kexec \(syscall == "kexec_load" ? "-c" : "-s") -l /bzImage --initrd=/stage2.cpio --command-line="console=ttyS0 panic=-1 rdinit=/init" && /usr/sbin/kexec -e\\n/bin/busybox echo KEXEC-FAILED\\n/bin/busybox poweroff -f\\n' > \(stage1)/init
            chmod +x \(stage1)/init
            (cd \(stage1) && find . | cpio -o -H newc --quiet > \(dir.file("stage1.cpio")))
            """
        #expect(try shell(script) == 0)
        let log = dir.file("serial.log")
        _ = try shell("timeout 240 qemu-system-x86_64 -m \(syscall == "kexec_load" ? "6G" : "1G") -nographic -no-reboot "
            + "-kernel \(image) -initrd \(dir.file("stage1.cpio")) -append 'console=ttyS0 panic=-1 rdinit=/init' "
            + "> \(log) 2>&1 < /dev/null")
        let console = String(decoding: try Fixtures.bytes(log), as: UTF8.self)
        #expect(console.contains("kexec_core: Starting new kernel"), "\(console.suffix(3000))")
        #expect(console.contains(Self.marker), "the kexec'd kernel did not reach init:\n\(console.suffix(3000))")
        // Where the second kernel runs: /proc/iomem's "Kernel code" line, e.g. "1bcc00000-1bda01ef1 : Kernel code".
        let line = try #require(console.split(whereSeparator: \.isNewline).first { $0.contains(": Kernel code") })
        let start = try #require(UInt64(line.trimmingCharacters(in: .whitespaces).prefix { $0 != "-" }, radix: 16))
        if syscall == "kexec_load" { #expect(start >= 1 << 32, "expected above 4 GiB: \(line)") }
    }
}
