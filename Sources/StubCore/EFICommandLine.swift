/// The kernel command line from EFI_LOADED_IMAGE_PROTOCOL.LoadOptions: UCS-2 text as the firmware or loader
/// passed it, converted the way the kernel's stub does — to UTF-8, up to the first NUL, at most
/// `limit` − 1 bytes (cmdline_size), NUL-terminated.
public enum EFICommandLine {
    /// Converts `optionsSize` bytes of UCS-2 at `options` into `output` (`limit` bytes); returns the length
    /// written, without the NUL. A code unit that would not fit whole ends the line there.
    public static func convert(_ options: UnsafeRawPointer?, optionsSize: Int, into output: UnsafeMutableRawPointer,
                               limit: Int) -> Int
    {
        var length = 0
        defer { output.storeBytes(of: 0, toByteOffset: length, as: UInt8.self) }
        guard let options, limit > 0 else { return 0 }
        var i = 0
        while i &+ 1 < optionsSize {
            var unit = UInt32(options.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i &+= 2
            if unit == 0 { break }
            // A surrogate pair is one code point; a lone surrogate becomes "?".
            if unit & 0xFC00 == 0xD800, i &+ 1 < optionsSize {
                let low = UInt32(options.loadUnaligned(fromByteOffset: i, as: UInt16.self))
                if low & 0xFC00 == 0xDC00 {
                    unit = 0x10000 &+ ((unit & 0x3FF) << 10 | (low & 0x3FF))
                    i &+= 2
                }
            }
            if unit & 0xF800 == 0xD800 { unit = 0x3F }
            let bytes = unit < 0x80 ? 1 : unit < 0x800 ? 2 : unit < 0x10000 ? 3 : 4
            guard length &+ bytes < limit else { break }
            switch bytes {
            case 1:
                output.storeBytes(of: UInt8(unit), toByteOffset: length, as: UInt8.self)
            case 2:
                output.storeBytes(of: UInt8(0xC0 | unit >> 6), toByteOffset: length, as: UInt8.self)
                output.storeBytes(of: UInt8(0x80 | unit & 0x3F), toByteOffset: length &+ 1, as: UInt8.self)
            case 3:
                output.storeBytes(of: UInt8(0xE0 | unit >> 12), toByteOffset: length, as: UInt8.self)
                output.storeBytes(of: UInt8(0x80 | unit >> 6 & 0x3F), toByteOffset: length &+ 1, as: UInt8.self)
                output.storeBytes(of: UInt8(0x80 | unit & 0x3F), toByteOffset: length &+ 2, as: UInt8.self)
            default:
                output.storeBytes(of: UInt8(0xF0 | unit >> 18), toByteOffset: length, as: UInt8.self)
                output.storeBytes(of: UInt8(0x80 | unit >> 12 & 0x3F), toByteOffset: length &+ 1, as: UInt8.self)
                output.storeBytes(of: UInt8(0x80 | unit >> 6 & 0x3F), toByteOffset: length &+ 2, as: UInt8.self)
                output.storeBytes(of: UInt8(0x80 | unit & 0x3F), toByteOffset: length &+ 3, as: UInt8.self)
            }
            length &+= bytes
        }
        return length
    }

    /// The command line boot_params points to (cmd_line_ptr | ext), or nil.
    static func line(_ bootParams: UnsafeRawPointer) -> UnsafeRawPointer? {
        let address = UInt64(bootParams.loadUnaligned(fromByteOffset: ZeroPage.cmdLinePtr, as: UInt32.self))
            | UInt64(bootParams.loadUnaligned(fromByteOffset: ZeroPage.extCmdLinePtr, as: UInt32.self)) << 32
        return UnsafeRawPointer(bitPattern: UInt(address))
    }

    /// Calls `body` with each space-separated option of boot_params' command line (its start and length), in
    /// order; the line ends at its NUL or at COMMAND_LINE_SIZE.
    static func forEachOption<E: Error>(_ bootParams: UnsafeRawPointer,
                                        _ body: (UnsafeRawPointer, Int) throws(E) -> Void) throws(E)
    {
        guard let line = line(bootParams) else { return }
        var start = 0, i = 0
        while true {
            let byte = i < EFIBoot.commandLineLimit ? line.load(fromByteOffset: i, as: UInt8.self) : 0
            if byte == 0 || byte == 0x20 {
                if i > start { try body(line + start, i &- start) }
                if byte == 0 { return }
                start = i &+ 1
            }
            i &+= 1
        }
    }

    /// Whether `option` (e.g. `nokaslr`) is on boot_params' command line on its own.
    static func has(_ bootParams: UnsafeRawPointer, _ option: StaticString) -> Bool {
        var found = false
        forEachOption(bootParams) { start, length in
            if !found { found = hasPrefix(start, length, option) && length == option.utf8CodeUnitCount }
        }
        return found
    }

    /// Whether the `length` bytes at `start` begin with `prefix`.
    static func hasPrefix(_ start: UnsafeRawPointer, _ length: Int, _ prefix: StaticString) -> Bool {
        guard length >= prefix.utf8CodeUnitCount else { return false }
        for k in 0..<prefix.utf8CodeUnitCount where start.load(fromByteOffset: k, as: UInt8.self) != prefix.utf8Start[k] {
            return false
        }
        return true
    }

    /// A file path from the command line (UTF-8, `length` bytes at `path`) as the UCS-2 name EFI_FILE_PROTOCOL.Open
    /// takes, as the kernel's stub makes it: leading separators dropped (the name is relative to the volume's root),
    /// `/` turned into `\`, NUL-terminated in `output` (`capacity` code units). false when it does not fit.
    public static func filePath(_ path: UnsafeRawPointer, length: Int, into output: UnsafeMutableRawPointer,
                                capacity: Int) -> Bool
    {
        var i = 0, used = 0
        func put(_ unit: UInt32) -> Bool {
            guard used &+ 1 < capacity else { return false }
            output.storeBytes(of: UInt16(truncatingIfNeeded: unit), toByteOffset: used &* 2, as: UInt16.self)
            used &+= 1
            return true
        }
        defer { if capacity > 0 { output.storeBytes(of: 0, toByteOffset: used &* 2, as: UInt16.self) } }
        while i < length, path.load(fromByteOffset: i, as: UInt8.self) == 0x2F || path.load(fromByteOffset: i, as: UInt8.self) == 0x5C {
            i &+= 1
        }
        while i < length {
            // UTF-8 → a code point (the line is our own conversion's output, so well formed), → UTF-16.
            var unit = UInt32(path.load(fromByteOffset: i, as: UInt8.self))
            i &+= 1
            let extra = unit < 0xC0 ? 0 : unit < 0xE0 ? 1 : unit < 0xF0 ? 2 : 3
            unit &= extra == 0 ? 0x7F : 0x3F >> UInt32(extra)
            for _ in 0..<extra where i < length {
                unit = unit << 6 | UInt32(path.load(fromByteOffset: i, as: UInt8.self)) & 0x3F
                i &+= 1
            }
            if unit == 0x2F { unit = 0x5C }
            if unit >= 0x10000 {
                guard put(0xD800 | (unit &- 0x10000) >> 10) else { return false }
                unit = 0xDC00 | unit & 0x3FF
            }
            guard put(unit) else { return false }
        }
        return true
    }
}
