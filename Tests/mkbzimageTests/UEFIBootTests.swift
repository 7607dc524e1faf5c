import Foundation
import Testing
import TestSupport

/// Our image as an EFI application under QEMU with Debian's OVMF: the firmware's own loader, systemd-boot, a UKI
/// made from systemd-stub, and the signing tools. Each boot proves which path ran: OVMF's PE path appends
/// `initrd=initrd` to the command line (its legacy loader does not), systemd-boot 252 prepends `initrd=\i`, and
/// the kernel finds EFI (`/sys/firmware/efi` with runtime services) only when our EFI entry filled efi_info.
@Suite(.serialized) struct UEFIBootTests {

    /// An initramfs whose init prints the command line, what /sys/firmware/efi holds and where the kernel runs.
    static func initramfs(in dir: TemporaryDirectory) throws -> String {
        try Initramfs.build(dir.file("init.cpio"), commands: [
            "echo CMDLINE: $(cat /proc/cmdline)",
            "echo EFI: $(ls /sys/firmware/efi) size $(cat /sys/firmware/efi/fw_platform_size)",
            "grep 'Kernel code' /proc/iomem",
        ])
    }

    /// Boots under OVMF (or `firmware`) and returns the console, requiring the marker.
    static func boot(_ medium: QEMUBoot.Medium, firmware: QEMUBoot.Firmware = .ovmf, timeout: Int = 240) throws -> String {
        var boot = QEMUBoot(medium)
        boot.firmware = firmware
        boot.timeout = timeout
        let result = try boot.run()
        #expect(result.outcome == .marker, "init was not reached:\n\(result.tail)")
        return result.console
    }

    static func line(_ prefix: String, in console: String) -> String? {
        console.split(whereSeparator: \.isNewline).first { $0.hasPrefix(prefix) }.map(String.init)
    }

    static let efiWithRuntime = "EFI: config_table efivars fw_platform_size fw_vendor runtime runtime-map systab size 64"

    static func build(_ dir: TemporaryDirectory, _ extra: [String] = []) throws -> String {
        let image = dir.file("bzImage")
        let built = try CommandRunner.run(["build", try Fixtures.kernel("6.1").vmlinux, "--compress", "lz4", "-o", image] + extra)
        #expect(built.status == 0, "\(built.stderr)")
        return image
    }

    /// A FAT ESP image holding `files` (ESP path → host path).
    static func esp(_ files: [(String, String)], dir: TemporaryDirectory) throws -> String {
        let esp = dir.file("esp.img")
        var script = "set -e; rm -f \(esp); mkfs.vfat -C \(esp) 65536 >/dev/null; mmd -i \(esp) ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries"
        for (target, source) in files { script += "; mcopy -i \(esp) \(source) ::\(target)" }
        #expect(try shell(script) == 0)
        return esp
    }

    /// An ESP with systemd-boot (or `loader`) starting the Type #1 entry `entry` (its `linux`/`efi`, `initrd`,
    /// `options` lines) at once, with the kernel at /k.efi and the initramfs at /i.
    static func systemdBootESP(entry: String, kernel: String, initramfs: String, dir: TemporaryDirectory,
                               loader: String = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi") throws -> String {
        try "default t.conf\ntimeout 0\n".write(toFile: dir.file("loader.conf"), atomically: true, encoding: .utf8)
        try "title mkbzimage\n\(entry)\n".write(toFile: dir.file("t.conf"), atomically: true, encoding: .utf8)
        return try esp([("/EFI/BOOT/BOOTX64.EFI", loader), ("/loader/loader.conf", dir.file("loader.conf")),
                        ("/loader/entries/t.conf", dir.file("t.conf")), ("/k.efi", kernel), ("/i", initramfs)], dir: dir)
    }

    @Test func ovmfRunsOurPEEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let console = try Self.boot(.kernel(try Self.build(dir), initrd: try Self.initramfs(in: dir),
                                            append: "console=ttyS0 panic=-1 rdinit=/init"))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: console=ttyS0 panic=-1 rdinit=/init initrd=initrd",
                "not OVMF's PE path:\n\(console.suffix(3000))")
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
        #expect(console.contains("efi: EFI v2.70 by EDK II"))
    }

    /// Physical KASLR: the EFI entry puts the kernel at a random kernel_alignment slot (/proc/iomem's "Kernel
    /// code"); with nokaslr at the lowest free one, every time the same.
    @Test func physicalKASLRMovesTheKernel() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = try Self.build(dir), initramfs = try Self.initramfs(in: dir)
        func kernelCode(_ options: String) throws -> UInt64? {
            let console = try Self.boot(.kernel(image, initrd: initramfs, append: "console=ttyS0 panic=-1 rdinit=/init \(options)"))
            let line = console.split(whereSeparator: \.isNewline).first { $0.contains(": Kernel code") }
            return line.flatMap { UInt64($0.trimmingCharacters(in: .whitespaces).prefix { $0 != "-" }, radix: 16) }
        }
        let lowest = try #require(try kernelCode("nokaslr"))
        #expect(try kernelCode("nokaslr") == lowest)
        let placed = [try kernelCode(""), try kernelCode("")].compactMap { $0 }
        #expect(placed.count == 2 && (placed + [lowest]).allSatisfy { $0 % 0x20_0000 == 0 && $0 >= 0x100_0000 }, "\(placed)")
        #expect(placed.contains { $0 != lowest }, "\(placed.map { String($0, radix: 16) }), nokaslr \(String(lowest, radix: 16))")
    }

    /// --no-efi keeps the image OVMF boots through its legacy loader (no PE path: no initrd=initrd).
    @Test func noEFIImagesTakeOVMFsLegacyLoader() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = try Self.build(dir, ["--no-efi"])
        let bytes = try Fixtures.bytes(image)
        #expect(bytes[0] == 0xFF && bytes[1] == 0xFF, "a --no-efi image has no MZ")
        let console = try Self.boot(.kernel(image, initrd: try Self.initramfs(in: dir), append: "console=ttyS0 panic=-1 rdinit=/init"))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: console=ttyS0 panic=-1 rdinit=/init")
    }

    @Test func systemdBootStartsIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let esp = try Self.systemdBootESP(entry: "linux /k.efi\ninitrd /i\noptions console=ttyS0 panic=-1 rdinit=/init",
                                          kernel: try Self.build(dir), initramfs: try Self.initramfs(in: dir), dir: dir)
        let console = try Self.boot(.drive(esp))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: initrd=\\i console=ttyS0 panic=-1 rdinit=/init")
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
    }

    /// `initrd=` read by our EFI entry from its own volume: systemd-boot's `efi` entries pass the options as
    /// they are and offer no LoadFile2 initrd, so only our file-system loader can have given the kernel the
    /// initramfs whose init prints the marker (without it the kernel panics, finding no root). A path that is
    /// not on the volume: our line on the firmware console, and back to the firmware before the kernel starts.
    @Test func systemdBootEFIEntryInitrdFromTheVolume() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = try Self.build(dir), initramfs = try Self.initramfs(in: dir)
        func esp(_ initrd: String) throws -> String {
            try Self.systemdBootESP(entry: "efi /k.efi\noptions initrd=\(initrd) console=ttyS0 panic=-1 rdinit=/init",
                                    kernel: image, initramfs: initramfs, dir: dir)
        }
        let console = try Self.boot(.drive(try esp("\\i")))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: initrd=\\i console=ttyS0 panic=-1 rdinit=/init")
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
        var missing = QEMUBoot(.drive(try esp("/no/such.img")))
        missing.firmware = .ovmf
        missing.timeout = 60
        let refused = try missing.run()
        #expect(refused.outcome == .failure && refused.console.contains("mkbzimage: an initrd= file is not on the image's own file system")
                && !refused.console.contains("Linux version"), "\(refused.tail)")
    }

    /// A unified kernel image: Debian's systemd-stub 252 with our image as .linux, the initramfs as .initrd.
    @Test func aUKIBoots() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try "ID=mkbzimage\n".write(toFile: dir.file("osrel"), atomically: true, encoding: .utf8)
        try "console=ttyS0 panic=-1 rdinit=/init".write(toFile: dir.file("cmdline"), atomically: true, encoding: .utf8)
        let uki = dir.file("uki.efi")
        #expect(try shell("objcopy --add-section .osrel=\(dir.file("osrel")) --change-section-vma .osrel=0x20000 "
            + "--add-section .cmdline=\(dir.file("cmdline")) --change-section-vma .cmdline=0x30000 "
            + "--add-section .linux=\(try Self.build(dir)) --change-section-vma .linux=0x2000000 "
            + "--add-section .initrd=\(try Self.initramfs(in: dir)) --change-section-vma .initrd=0x3000000 "
            + "/usr/lib/systemd/boot/efi/linuxx64.efi.stub \(uki)") == 0)
        let console = try Self.boot(.drive(try Self.esp([("/EFI/BOOT/BOOTX64.EFI", uki)], dir: dir)))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: console=ttyS0 panic=-1 rdinit=/init")
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
    }

    /// Debian's GRUB EFI `linuxefi` enters through the EFI handover entry: in this copy of the image the PE entry
    /// is a `ud2` (found through `--map`), so only the handover entry can have booted it. GRUB's command line
    /// starts with BOOT_IMAGE=, its initrd comes in boot_params.
    @Test func grubLinuxEFIUsesTheHandoverEntry() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let iso = dir.file("iso"), map = dir.file("map")
        try FileManager.default.createDirectory(atPath: iso + "/boot/grub", withIntermediateDirectories: true)
        var bytes = try Fixtures.bytes(try Self.build(dir, ["--map", map]))
        let symbols = String(decoding: try Fixtures.bytes(map), as: UTF8.self).split(separator: "\n")
        let entry = try #require(symbols.first { $0.hasSuffix(" efi_pe_entry") }.flatMap { Int($0.prefix(16), radix: 16) })
        let setupSize = (Int(bytes[0x1F1]) + 1) * 512
        bytes.replaceSubrange(setupSize + entry..<setupSize + entry + 2, with: [0x0F, 0x0B])
        try Data(bytes).write(to: URL(fileURLWithPath: iso + "/boot/bzImage"))
        try FileManager.default.copyItem(atPath: try Self.initramfs(in: dir), toPath: iso + "/boot/init.cpio")
        try "set timeout=0\nmenuentry \"mkbzimage\" {\n  linuxefi /boot/bzImage console=ttyS0 panic=-1 rdinit=/init\n  initrdefi /boot/init.cpio\n}\n"
            .write(toFile: iso + "/boot/grub/grub.cfg", atomically: true, encoding: .utf8)
        #expect(try shell("grub-mkrescue -o \(dir.file("grub.iso")) \(iso) > \(dir.file("mkrescue.log")) 2>&1") == 0)
        let console = try Self.boot(.cdrom(dir.file("grub.iso")))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: BOOT_IMAGE=/boot/bzImage console=ttyS0 panic=-1 rdinit=/init")
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
        #expect(!console.contains("doesn't support EFI handover"))
    }

    /// Secure Boot: Debian's OVMF with its snakeoil varstore (PK, KEK and db enrolled with the test key pair the
    /// ovmf package ships; enrolling a freshly made key needs virt-firmware from PyPI, which a fresh Debian 12
    /// pip refuses to install system-wide). systemd-boot and our image signed with that key boot, and our EFI
    /// entry tells the kernel Secure Boot is on (boot_params.secure_boot), so Debian's kernel locks itself down;
    /// the same image unsigned is refused by the firmware.
    @Test func secureBootWithTheTestKey() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let key = dir.file("db.key"), cert = "/usr/share/ovmf/PkKek-1-snakeoil.pem"
        #expect(try shell("openssl rsa -in /usr/share/ovmf/PkKek-1-snakeoil.key -passin pass:snakeoil -out \(key) 2>/dev/null") == 0)
        let image = try Self.build(dir), signed = dir.file("k.efi"), loader = dir.file("BOOTX64.EFI")
        #expect(try shell("sbsign --key \(key) --cert \(cert) --output \(signed) \(image) >/dev/null 2>&1 && "
            + "sbsign --key \(key) --cert \(cert) --output \(loader) /usr/lib/systemd/boot/efi/systemd-bootx64.efi >/dev/null 2>&1") == 0)
        let initramfs = try Self.initramfs(in: dir)
        func esp(_ kernel: String) throws -> String {
            try Self.systemdBootESP(entry: "linux /k.efi\ninitrd /i\noptions console=ttyS0 panic=-1 rdinit=/init",
                                    kernel: kernel, initramfs: initramfs, dir: dir, loader: loader)
        }
        let secureBoot = QEMUBoot.Firmware.secureBoot(vars: "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd")
        let console = try Self.boot(.drive(try esp(signed)), firmware: secureBoot)
        #expect(console.contains("secureboot: Secure boot enabled"))
        #expect(console.contains("Kernel is locked down from EFI Secure Boot"))
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
        var unsigned = QEMUBoot(.drive(try esp(image)))
        unsigned.firmware = secureBoot
        unsigned.failures = ["Access Denied", "Security Violation", "Linux version"]
        unsigned.timeout = 60
        let refused = try unsigned.run()
        #expect(refused.outcome == .failure && !refused.console.contains("Linux version"), "an unsigned image was not refused:\n\(refused.tail)")
    }

    /// sbsign signs it without warnings (sections contiguous from SizeOfHeaders, nothing unhashed), sbverify
    /// accepts the signature, pesign hashes it the same way, and our reader sees the signature.
    @Test func signingToolsAcceptIt() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = try Self.build(dir), signed = dir.file("signed"), log = dir.file("sign.log")
        #expect(try shell("openssl req -new -x509 -newkey rsa:2048 -nodes -subj /CN=mkbzimage-test/ -days 1 "
            + "-keyout \(dir.file("db.key")) -out \(dir.file("db.crt")) 2>/dev/null") == 0)
        #expect(try shell("sbsign --key \(dir.file("db.key")) --cert \(dir.file("db.crt")) --output \(signed) \(image) > \(log) 2>&1") == 0)
        let output = String(decoding: try Fixtures.bytes(log), as: UTF8.self)
        #expect(!output.contains("warning") && !output.contains("gap"), "\(output)")
        let verified = try shell("sbverify --cert \(dir.file("db.crt")) \(signed) > \(log) 2>&1")
        let verification = String(decoding: try Fixtures.bytes(log), as: UTF8.self)
        #expect(verified == 0 && verification.contains("Signature verification OK"), "\(verification)")
        #expect(try shell("pesign -h -i \(image) > \(log) 2>&1 && grep -q '^hash: ' \(log)") == 0)
        let dump = try CommandRunner.run(["--dump-header", signed])
        let text = String(decoding: dump.stdout, as: UTF8.self)
        #expect(dump.status == 0 && text.contains("signed (Authenticode") && text.contains("crc32: stored"), "\(text)")
        #expect(!text.contains("MISMATCH"))
    }
}
