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
}
