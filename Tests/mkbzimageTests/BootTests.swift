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

    @Test(arguments: ["lz4", "gzip", "zstd", "bzip2", "lzma", "lzo"])
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

    /// GRUB's `linux` on BIOS (a grub-mkrescue ISO) enters through startup_32 with GRUB's own boot_params.
    @Test func debian61BootsThroughGrubLinux() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let iso = dir.file("iso")
        try FileManager.default.createDirectory(atPath: iso + "/boot/grub", withIntermediateDirectories: true)
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "--compress", "lz4", "-o", iso + "/boot/bzImage"]).status == 0)
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
        #expect(console.contains(Self.marker), "init was not reached through GRUB:\n\(console.suffix(2000))")
    }

    @Test func aDamagedGzipPayloadStopsWithAMessage() throws {
        let kernel = try Fixtures.kernel("6.1")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = dir.file("bzImage")
        #expect(try CommandRunner.run(["build", kernel.vmlinux, "--compress", "gzip", "-o", image]).status == 0)
        var bytes = try Fixtures.bytes(image)
        let payloadStart = (Int(bytes[0x1F1]) + 1) * 512 + Int(bytes.get(UInt32.self, at: 0x248))
        for i in 0..<16 { bytes[payloadStart + 5_000_000 + i] ^= 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: image))
        // The stub halts after its message, so QEMU runs until the timeout; the message must come within it.
        let console = try Self.boot(image, initramfs: try Self.initramfs(in: dir), dir: dir, seconds: 30)
        #expect(console.contains("mkbzimage: the kernel payload is damaged"), "\(console.suffix(2000))")
        #expect(!console.contains("Linux version"))
    }
}
