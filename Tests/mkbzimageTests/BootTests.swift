import Foundation
import Testing
import TestSupport

/// Real boots under QEMU (TCG): Debian's 6.1 cloud kernel from images with our own boot code, to the marker a
/// tiny init prints. QEMU -kernel enters through our 16-bit setup.
@Suite(.serialized) struct BootTests {
    static let marker = Initramfs.marker

    /// The default initramfs (busybox; an /init that prints the marker and powers off).
    static func initramfs(in dir: TemporaryDirectory) throws -> String {
        try Initramfs.build(dir.file("init.cpio"))
    }

    /// Boots `image` with QEMU -kernel to the init marker (stopping there) and returns the serial console's text.
    static func boot(_ image: String, initramfs: String, options: String = "", firmware: QEMUBoot.Firmware = .seabios,
                     memory: String = "1G", failures: [String] = [], seconds: Int = 120) throws -> String {
        var qemu = QEMUBoot(.kernel(image, initrd: initramfs, append: "console=ttyS0 panic=-1 rdinit=/init \(options)"))
        qemu.firmware = firmware
        qemu.memory = memory
        qemu.failures += failures
        qemu.timeout = seconds
        let result = try qemu.run()
        #expect(result.outcome == .marker, "\(result.note)")
        return result.console
    }

    @Test(arguments: ["lz4", "gzip", "zstd", "bzip2", "lzma", "xz", "lzo"])
    func debian61BootsToInit(compression: String) throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage")
        let built = try CommandRunner.run(["build", kernel.vmlinux, "--compress", compression, "-o", image])
        #expect(built.status == 0, "\(built.stderr)")
        let console = try Self.boot(image, initramfs: try Self.initramfs(in: dir))
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
        let image = dir.file("bzImage")
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "--compress", "lz4", "-o", image]).status == 0)
        let initramfs = try Initramfs.build(dir.file("kallsyms.cpio"), commands: [#"grep " _text$" /proc/kallsyms"#])
        func textAddress(_ options: String) throws -> UInt64? {
            let console = try Self.boot(image, initramfs: initramfs, options: options)
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
        let console = try Self.boot(image, initramfs: initramfs)
        #expect(console.contains("Linux version 6.12."), "the kernel did not start:\n\(console.suffix(2000))")
        #expect(console.contains(Self.marker), "init was not reached:\n\(console.suffix(2000))")

        let unrelocated = dir.file("norelocs")
        #expect(try CommandRunner.run(["--compress=lz4", kernel.vmlinux, "--no-relocs", "-o", unrelocated]).status == 0)
        let plain = try Self.boot(unrelocated, initramfs: initramfs)
        #expect(plain.contains(Self.marker), "init was not reached without a table:\n\(plain.suffix(2000))")
    }

    /// OVMF's `-kernel` with an image that has no PE header: the firmware's legacy Linux loader enters the 32-bit
    /// entry after ExitBootServices, with boot_params (e820, screen_info) of its own.
    @Test func debian61BootsThroughOVMF() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage")
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "--compress", "lz4", "-o", image]).status == 0)
        let console = try Self.boot(image, initramfs: try Self.initramfs(in: dir), firmware: .ovmf, seconds: 240)
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
        var qemu = QEMUBoot(.cdrom(dir.file("grub.iso")))
        qemu.timeout = 180
        let result = try qemu.run()
        let console = result.console
        #expect(result.outcome == .marker, "\(result.note)")
        #expect(console.contains(Self.marker), "init was not reached through GRUB (\(compression)):\n\(console.suffix(2000))")
    }

    /// Boots an image that is expected to stop in our boot code with `message`: the serial console's text and the
    /// VGA text screen (read from guest memory through the QEMU monitor, polled until `message` is on it, or
    /// `screenText` when the screen shows less), stopping as soon as both show it.
    static func bootToHalt(_ image: String, message: String, screenText: String? = nil, cpu: String? = nil,
                           seconds: Int = 60) throws -> (serial: String, screen: String)
    {
        var qemu = QEMUBoot(.kernel(image, append: "console=ttyS0 panic=-1"), marker: message)
        qemu.screen = screenText ?? message
        qemu.cpu = cpu
        qemu.timeout = seconds
        let result = try qemu.run()
        #expect(result.outcome == .marker, "\(result.note)\n\(result.screen)")
        return (result.console, result.screen)
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
        let payload = Fixtures.payloadRange(ofImage: bytes)
        for i in 0..<16 { bytes[payload.lowerBound + payload.count / 2 + i] ^= 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: image))
        let message = "mkbzimage: the kernel payload is damaged (its XXH64 does not match"
        let (serial, screen) = try Self.bootToHalt(image, message: message)
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
        let message = "mkbzimage: this CPU cannot run 64-bit code (no long mode)"
        let (serial, screen) = try Self.bootToHalt(image, message: message, cpu: "qemu32")
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
        let (serial, screen) = try Self.bootToHalt(image, message: "mkbzimage: CPU exception 0x06",
                                                   screenText: "mkbzimage: CPU exception 0x06")
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
        // The second kernel's init shows where it runs (before the marker: the boot stops at the marker).
        let stage2 = try Initramfs.build(dir.file("stage2.cpio"), commands: ["grep 'Kernel code' /proc/iomem"])
        let load = "/usr/sbin/kexec \(syscall == "kexec_load" ? "-c" : "-s") -l /bzImage --initrd=/stage2.cpio "
            + #"--command-line="console=ttyS0 panic=-1 rdinit=/init" && /usr/sbin/kexec -e"#
        let stage1 = try Initramfs.build(dir.file("stage1.cpio"), commands: [load, "echo KEXEC-FAILED"], marker: nil,
                                         files: [(image, "/bzImage"), (stage2, "/stage2.cpio")],
                                         binaries: ["/usr/sbin/kexec"])
        let console = try Self.boot(image, initramfs: stage1, memory: syscall == "kexec_load" ? "6G" : "1G",
                                    failures: ["KEXEC-FAILED"], seconds: 240)
        #expect(console.contains("kexec_core: Starting new kernel"), "\(console.suffix(3000))")
        #expect(console.contains(Self.marker), "the kexec'd kernel did not reach init:\n\(console.suffix(3000))")
        // Where the second kernel runs: /proc/iomem's "Kernel code" line, e.g. "1bcc00000-1bda01ef1 : Kernel code".
        let line = try #require(console.split(whereSeparator: \.isNewline).first { $0.contains(": Kernel code") })
        let start = try #require(UInt64(line.trimmingCharacters(in: .whitespaces).prefix { $0 != "-" }, radix: 16))
        if syscall == "kexec_load" { #expect(start >= 1 << 32, "expected above 4 GiB: \(line)") }
    }
}
