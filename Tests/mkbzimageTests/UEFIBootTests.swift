import Foundation
import SetupHeader
import Testing
import TestSupport

/// Our image as an EFI application under QEMU with Debian's OVMF: the firmware's own loader, systemd-boot, a UKI
/// made from systemd-stub, and the signing tools. Each boot proves which path ran: OVMF's PE path appends
/// `initrd=initrd` to the command line (its legacy loader does not), systemd-boot 252 prepends `initrd=\i`, and
/// the kernel finds EFI (`/sys/firmware/efi` with runtime services) only when our EFI entry filled efi_info.
@Suite(.serialized) struct UEFIBootTests {

    /// An initramfs whose init prints the command line, what /sys/firmware/efi holds, how many EFI variables the
    /// kernel lists through efivarfs (runtime services at work) and where the kernel runs.
    static func initramfs(in dir: TemporaryDirectory, kernel: String = "6.1") throws -> String {
        try Initramfs.build(dir.file("init.cpio"), commands: [
            "echo CMDLINE: $(cat /proc/cmdline)",
            "echo EFI: $(ls /sys/firmware/efi) size $(cat /sys/firmware/efi/fw_platform_size)",
            "insmod /efivarfs.ko && mount -t efivarfs efivarfs /sys/firmware/efi/efivars "
                + "&& echo EFIVARS: $(ls /sys/firmware/efi/efivars | grep -c '^Boot')",
            "grep 'Kernel code' /proc/iomem",
        ], files: [(try Fixtures.kernel(kernel).efivarfs, "/efivarfs.ko")])
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

    /// Our image of Debian's `kernel` (6.12's vmlinux has no .rela.*: its table comes from its vmlinuz).
    static func build(_ dir: TemporaryDirectory, _ extra: [String] = [], kernel: String = "6.1") throws -> String {
        let image = dir.file("bzImage"), fixture = try Fixtures.kernel(kernel)
        let relocs = kernel == "6.1" ? [] : ["--relocs-from", fixture.vmlinuz]
        let built = try CommandRunner.run(["build", fixture.vmlinux, "--compress", "lz4", "-o", image] + relocs + extra)
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

    /// Our image of `kernel` as only one of its entries can boot it: a `ud2` at each entry of `poisoning` (symbols
    /// of `--map`: startup_32, efi_pe_entry) and, unless `handover`, no handover offered (XLF_EFI_HANDOVER_64 and
    /// handover_offset cleared in the setup header).
    static func onlyEntry(_ dir: TemporaryDirectory, kernel: String = "6.1", poisoning: [String], handover: Bool)
        throws -> String
    {
        let map = dir.file("map")
        var bytes = try Fixtures.bytes(try build(dir, ["--map", map], kernel: kernel))
        let setupSize = (Int(bytes[0x1F1]) + 1) * 512
        for name in poisoning {
            let entry = try symbolOffset(name, map: map)
            bytes.replaceSubrange(setupSize + entry..<setupSize + entry + 2, with: [0x0F, 0x0B])
        }
        if !handover {
            bytes[0x236] &= ~UInt8(0x08)
            bytes.replaceSubrange(0x264..<0x268, with: [0, 0, 0, 0])
        }
        let copy = dir.file("only-entry")
        try Data(bytes).write(to: URL(fileURLWithPath: copy))
        return copy
    }

    /// OVMF's -kernel runs our PE entry (its PE path appends initrd=initrd; its legacy loader does not), for
    /// Debian's 6.1 and 6.12: the kernel keeps EFI runtime services and reads the firmware's variables.
    @Test(arguments: ["6.1", "6.12"])
    func ovmfRunsOurPEEntry(kernel: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let image = try Self.onlyEntry(dir, kernel: kernel, poisoning: ["startup_32"], handover: false)
        let console = try Self.boot(.kernel(image, initrd: try Self.initramfs(in: dir, kernel: kernel),
                                            append: "console=ttyS0 panic=-1 rdinit=/init"), timeout: 400)
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: console=ttyS0 panic=-1 rdinit=/init initrd=initrd",
                "not OVMF's PE path:\n\(console.suffix(3000))")
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
        let variables = Self.line("EFIVARS:", in: console).flatMap { Int($0.dropFirst("EFIVARS: ".count)) } ?? 0
        #expect(variables > 0, "no Boot#### variables through efivarfs:\n\(console.suffix(2000))")
        #expect(console.contains("efi: EFI v2.7") && console.contains(" by EDK II"))  // 6.1: v2.70, 6.12: v2.7
    }

    /// The offset of `name` in the protected-mode image, from a `--map` file ("offset name" lines, hex offsets).
    static func symbolOffset(_ name: String, map: String) throws -> Int {
        let symbols = String(decoding: try Fixtures.bytes(map), as: UTF8.self).split(separator: "\n")
        return try #require(symbols.first { $0.hasSuffix(" " + name) }.flatMap { Int($0.prefix(16), radix: 16) },
                            "no \(name) in \(map)")
    }

    /// A copy of `image` with one payload bit flipped (the payload's place from the `--map` file `map`).
    static func flippingAPayloadByte(of image: String, map: String, dir: TemporaryDirectory) throws -> String {
        var bytes = try Fixtures.bytes(image)
        let payload = try symbolOffset("payload", map: map)
        bytes[(Int(bytes[0x1F1]) + 1) * 512 + payload + 100_000] ^= 0x40
        let damaged = dir.file("damaged-" + URL(fileURLWithPath: image).lastPathComponent)
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        return damaged
    }

    /// One flipped payload byte: our EFI entry checks the payload's digest before ExitBootServices, says so on
    /// the firmware console and returns; OVMF goes on to its next boot option at once.
    @Test func aDamagedPayloadReturnsToTheFirmware() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let map = dir.file("map")
        let damaged = try Self.flippingAPayloadByte(of: try Self.build(dir, ["--map", map]), map: map, dir: dir)
        var boot = QEMUBoot(.kernel(damaged, append: "console=ttyS0"), marker: "BdsDxe: failed to load Boot0001")
        boot.firmware = .ovmf
        boot.failures = ["Linux version"]
        let result = try boot.run()
        #expect(result.outcome == .marker, "the firmware did not get control back:\n\(result.tail)")
        let said = try #require(result.time(of: "mkbzimage: the kernel payload is damaged (its XXH64 does not match"),
                                "no message:\n\(result.tail)")
        let back = try #require(result.time(of: "BdsDxe: failed to load Boot0001"))
        #expect(back - said <= 5, "\(back - said) s from the message to the firmware's next boot option")
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

    /// A unified kernel image: Debian's systemd-stub 252 with our image as .linux, the initramfs as .initrd. 252
    /// starts a kernel whose MajorImageVersion is ≥ 1 as an EFI image (this copy: startup_32 a `ud2`, no handover
    /// offered, so the PE entry ran) and an older one through the handover entry (this copy: MajorImageVersion 0,
    /// its PE entry and startup_32 `ud2`s).
    @Test(arguments: [1, 0])
    func aUKIBoots(majorImageVersion: UInt16) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try "ID=mkbzimage\n".write(toFile: dir.file("osrel"), atomically: true, encoding: .utf8)
        try "console=ttyS0 panic=-1 rdinit=/init".write(toFile: dir.file("cmdline"), atomically: true, encoding: .utf8)
        let kernel = majorImageVersion >= 1
            ? try Self.onlyEntry(dir, poisoning: ["startup_32"], handover: false)
            : try Self.onlyEntry(dir, poisoning: ["efi_pe_entry", "startup_32"], handover: true)
        var bytes = try Fixtures.bytes(kernel)
        var pe = try #require(bytes.withUnsafeBytes { PEHeader(parsing: $0) })
        pe.majorImageVersion = majorImageVersion
        pe.encode(into: &bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: kernel))
        let uki = dir.file("uki.efi")
        #expect(try shell("objcopy --add-section .osrel=\(dir.file("osrel")) --change-section-vma .osrel=0x20000 "
            + "--add-section .cmdline=\(dir.file("cmdline")) --change-section-vma .cmdline=0x30000 "
            + "--add-section .linux=\(kernel) --change-section-vma .linux=0x2000000 "
            + "--add-section .initrd=\(try Self.initramfs(in: dir)) --change-section-vma .initrd=0x3000000 "
            + "/usr/lib/systemd/boot/efi/linuxx64.efi.stub \(uki)") == 0)
        let console = try Self.boot(.drive(try Self.esp([("/EFI/BOOT/BOOTX64.EFI", uki)], dir: dir)))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: console=ttyS0 panic=-1 rdinit=/init")
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
    }

    /// Debian's GRUB EFI: `linuxefi` enters through the EFI handover entry (this copy's PE entry and startup_32
    /// are `ud2`s), plain `linux` through startup_32, GRUB's own loader having left boot services (this copy's
    /// PE entry is a `ud2` and it offers no handover). GRUB's command line starts with BOOT_IMAGE=, its initrd
    /// comes in boot_params.
    @Test(arguments: ["linuxefi", "linux"])
    func grubEFI(command: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let iso = dir.file("iso")
        try FileManager.default.createDirectory(atPath: iso + "/boot/grub", withIntermediateDirectories: true)
        let image = command == "linuxefi"
            ? try Self.onlyEntry(dir, poisoning: ["efi_pe_entry", "startup_32"], handover: true)
            : try Self.onlyEntry(dir, poisoning: ["efi_pe_entry"], handover: false)
        try FileManager.default.copyItem(atPath: image, toPath: iso + "/boot/bzImage")
        try FileManager.default.copyItem(atPath: try Self.initramfs(in: dir), toPath: iso + "/boot/init.cpio")
        let initrd = command == "linuxefi" ? "initrdefi" : "initrd"
        try "set timeout=0\nmenuentry \"mkbzimage\" {\n  \(command) /boot/bzImage console=ttyS0 panic=-1 rdinit=/init\n  \(initrd) /boot/init.cpio\n}\n"
            .write(toFile: iso + "/boot/grub/grub.cfg", atomically: true, encoding: .utf8)
        #expect(try shell("grub-mkrescue -o \(dir.file("grub.iso")) \(iso) > \(dir.file("mkrescue.log")) 2>&1") == 0)
        let console = try Self.boot(.cdrom(dir.file("grub.iso")))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: BOOT_IMAGE=/boot/bzImage console=ttyS0 panic=-1 rdinit=/init")
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
        #expect(!console.contains("doesn't support EFI handover"))
    }

    /// virt-fw-vars (PyPI's virt-firmware, in the virtual environment scripts/install-deps makes).
    static let virtFwVars = Fixtures.repositoryRoot.appendingPathComponent(".tools/venv/bin/virt-fw-vars").path
    static let keyOwner = "a9b8c7d6-0000-4d6b-8b7a-6d6b627a696d"

    /// A signing key and certificate made for this test.
    static func testKey(_ dir: TemporaryDirectory) throws -> (key: String, cert: String) {
        #expect(FileManager.default.isExecutableFile(atPath: virtFwVars), "\(virtFwVars) is missing: run scripts/install-deps")
        let key = dir.file("test.key"), cert = dir.file("test.crt")
        #expect(try shell("openssl req -new -x509 -newkey rsa:2048 -nodes -subj /CN=mkbzimage-test/ -days 1 "
            + "-keyout \(key) -out \(cert) 2>/dev/null") == 0)
        return (key, cert)
    }

    static func sign(_ file: String, as output: String, with key: (key: String, cert: String)) throws {
        #expect(try shell("sbsign --key \(key.key) --cert \(key.cert) --output \(output) \(file) >/dev/null 2>&1") == 0)
    }

    /// Secure Boot with a key of our own: the test makes it, enrolls it as PK, KEK and db into a copy of Debian's
    /// empty OVMF varstore with virt-fw-vars, and signs systemd-boot and our image with it. Debian's secure-boot
    /// OVMF (SMM) boots the signed image from the ESP, and our EFI entry tells the kernel Secure Boot is on
    /// (boot_params.secure_boot), so Debian's kernel locks itself down. The firmware refuses the same image
    /// unsigned, and the signed image with one payload byte flipped (the Authenticode hash covers it).
    @Test func secureBootWithOurOwnKey() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let key = try Self.testKey(dir), vars = dir.file("vars.fd")
        #expect(try shell("\(Self.virtFwVars) -i /usr/share/OVMF/OVMF_VARS_4M.fd -o \(vars) --set-pk \(Self.keyOwner) \(key.cert) "
            + "--add-kek \(Self.keyOwner) \(key.cert) --add-db \(Self.keyOwner) \(key.cert) --sb >/dev/null 2>&1") == 0)
        let map = dir.file("map")
        let image = try Self.build(dir, ["--map", map]), signed = dir.file("k.efi"), loader = dir.file("BOOTX64.EFI")
        try Self.sign(image, as: signed, with: key)
        try Self.sign("/usr/lib/systemd/boot/efi/systemd-bootx64.efi", as: loader, with: key)
        let damaged = try Self.flippingAPayloadByte(of: signed, map: map, dir: dir)
        let initramfs = try Self.initramfs(in: dir)
        func esp(_ kernel: String) throws -> String {
            try Self.systemdBootESP(entry: "linux /k.efi\ninitrd /i\noptions console=ttyS0 panic=-1 rdinit=/init",
                                    kernel: kernel, initramfs: initramfs, dir: dir, loader: loader)
        }
        let secureBoot = QEMUBoot.Firmware.secureBoot(vars: vars)
        let console = try Self.boot(.drive(try esp(signed)), firmware: secureBoot)
        #expect(console.contains("secureboot: Secure boot enabled"))
        #expect(console.contains("Kernel is locked down from EFI Secure Boot"))
        #expect(Self.line("EFI:", in: console) == Self.efiWithRuntime)
        for refused in [image, damaged] {
            var boot = QEMUBoot(.drive(try esp(refused)))
            boot.firmware = secureBoot
            boot.failures = ["Access Denied", "Security Violation", "Linux version", "mkbzimage: "]
            boot.timeout = 60
            let result = try boot.run()
            #expect(result.outcome == .failure && !result.console.contains("Linux version")
                    && !result.console.contains("mkbzimage: "), "\(refused) was not refused:\n\(result.tail)")
        }
    }

    /// Debian's Secure Boot chain: OVMF with Microsoft's keys (Debian's OVMF_VARS_4M.ms.fd) starts Debian's shim
    /// (signed by Microsoft), which starts Debian's signed GRUB; GRUB's `linuxefi` asks shim to verify our image,
    /// signed with a key of ours enrolled as a MOK (MokList, set with virt-fw-vars), and enters its handover entry
    /// (this copy's PE entry and startup_32 are `ud2`s). Unsigned, GRUB refuses it.
    @Test func shimAndGRUBBootItUnderSecureBoot() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let key = try Self.testKey(dir), vars = dir.file("vars.fd")
        #expect(try shell("\(Self.virtFwVars) -i /usr/share/OVMF/OVMF_VARS_4M.ms.fd -o \(vars) "
            + "--add-mok \(Self.keyOwner) \(key.cert) >/dev/null 2>&1") == 0)
        let image = try Self.onlyEntry(dir, poisoning: ["efi_pe_entry", "startup_32"], handover: true)
        let signed = dir.file("k.efi")
        try Self.sign(image, as: signed, with: key)
        try "set timeout=0\nmenuentry \"mkbzimage\" {\n  linuxefi /k.efi console=ttyS0 panic=-1 rdinit=/init\n  initrdefi /i\n}\n"
            .write(toFile: dir.file("grub.cfg"), atomically: true, encoding: .utf8)
        let initramfs = try Self.initramfs(in: dir)
        // Debian's signed GRUB reads $prefix/grub.cfg (/EFI/debian) or, failing that, the one beside it.
        func esp(_ kernel: String) throws -> String {
            try Self.esp([("/EFI/BOOT/BOOTX64.EFI", "/usr/lib/shim/shimx64.efi.signed"),
                          ("/EFI/BOOT/grubx64.efi", "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"),
                          ("/EFI/BOOT/grub.cfg", dir.file("grub.cfg")), ("/k.efi", kernel), ("/i", initramfs)], dir: dir)
        }
        let secureBoot = QEMUBoot.Firmware.secureBoot(vars: vars)
        let console = try Self.boot(.drive(try esp(signed)), firmware: secureBoot)
        #expect(console.contains("secureboot: Secure boot enabled"))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: BOOT_IMAGE=/k.efi console=ttyS0 panic=-1 rdinit=/init")
        // shim's MOK configuration table, which the kernel finds through our efi_info, shows as mok-variables.
        #expect(Self.line("EFI:", in: console)
                == "EFI: config_table efivars fw_platform_size fw_vendor mok-variables runtime runtime-map systab size 64")
        var unsigned = QEMUBoot(.drive(try esp(image)))
        unsigned.firmware = secureBoot
        unsigned.failures = ["bad shim signature", "Access Denied", "Security Violation", "Linux version", "mkbzimage: "]
        unsigned.timeout = 90
        let refused = try unsigned.run()
        #expect(refused.outcome == .failure && refused.console.contains("bad shim signature"),
                "the unsigned image was not refused by shim:\n\(refused.tail)")
    }

    /// shim loading our image itself, as its second stage (named in its load options by a systemd-boot `efi`
    /// entry; OVMF with Microsoft's keys and our key in db for systemd-boot, the key as a MOK for the kernel):
    /// shim checks SBAT in what it loads, so the image built with `--sbat` boots — the initrd from the ESP
    /// through `initrd=` (shim offers no LoadFile2) — and the same image without a .sbat section is refused.
    @Test func shimLoadsItItselfWithSBAT() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let key = try Self.testKey(dir), vars = dir.file("vars.fd"), csv = dir.file("sbat.csv")
        #expect(try shell("\(Self.virtFwVars) -i /usr/share/OVMF/OVMF_VARS_4M.ms.fd -o \(vars) --add-db \(Self.keyOwner) "
            + "\(key.cert) --add-mok \(Self.keyOwner) \(key.cert) >/dev/null 2>&1") == 0)
        try "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\nlinux,1,The Linux Developers,linux,6.1,https://linux.org\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let loader = dir.file("BOOTX64.EFI"), withSBAT = dir.file("sbat.efi"), without = dir.file("plain.efi")
        try Self.sign("/usr/lib/systemd/boot/efi/systemd-bootx64.efi", as: loader, with: key)
        try Self.sign(try Self.build(dir, ["--sbat", csv]), as: withSBAT, with: key)
        try Self.sign(try Self.build(dir), as: without, with: key)
        let initramfs = try Self.initramfs(in: dir)
        func esp(_ kernel: String) throws -> String {
            let esp = try Self.systemdBootESP(entry: "efi /shimx64.efi\noptions \\k.efi initrd=\\i console=ttyS0 panic=-1 rdinit=/init",
                                              kernel: kernel, initramfs: initramfs, dir: dir, loader: loader)
            #expect(try shell("mcopy -i \(esp) /usr/lib/shim/shimx64.efi.signed ::/shimx64.efi") == 0)
            return esp
        }
        let secureBoot = QEMUBoot.Firmware.secureBoot(vars: vars)
        let console = try Self.boot(.drive(try esp(withSBAT)), firmware: secureBoot)
        #expect(console.contains("secureboot: Secure boot enabled"))
        #expect(Self.line("CMDLINE:", in: console) == "CMDLINE: initrd=\\i console=ttyS0 panic=-1 rdinit=/init")
        var refused = QEMUBoot(.drive(try esp(without)), marker: "Verification failed")
        refused.firmware = secureBoot
        refused.failures = ["Linux version", "mkbzimage: "]
        refused.timeout = 90
        let result = try refused.run()
        #expect(result.outcome == .marker, "shim did not refuse the image without .sbat:\n\(result.tail)")
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
