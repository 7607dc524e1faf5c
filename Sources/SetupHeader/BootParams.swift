/// `struct boot_params`, the "zero page" a loader (or our 16-bit setup, or our EFI entry) fills and hands to the
/// kernel in RSI: the fields our boot code reads or writes, at their offsets and widths, named as in the kernel's
/// `arch/x86/include/uapi/asm/bootparam.h` (and `screen_info.h` for the first 0x40 bytes). The setup header sits
/// inside it at its image offsets (0x1F1 … 0x26B), so a header field's place in boot_params is `Field.offset` of
/// `SetupHeader.Field` (`BootParams.offset(of:)`).
public enum BootParams {
    /// One page.
    public static let size = 0x1000
    /// The E820 table's capacity (`E820_MAX_ENTRIES_ZEROPAGE`) and the size of an entry (addr u64, size u64, type u32).
    public static let e820MaxEntries = 128
    public static let e820EntrySize = 20

    public enum Field: String, CaseIterable, Sendable {
        // screen_info (0x00 … 0x3F)
        case orig_x, orig_y, orig_video_page, orig_video_mode, orig_video_cols, orig_video_lines, orig_video_isVGA
        case orig_video_points, lfb_width, lfb_height, lfb_depth, lfb_base, lfb_size, lfb_linelength
        case red_size, red_pos, green_size, green_pos, blue_size, blue_pos, rsvd_size, rsvd_pos, capabilities
        case ext_lfb_base
        // The rest of the page.
        case acpi_rsdp_addr, ext_ramdisk_image, ext_ramdisk_size, ext_cmd_line_ptr, efi_info, scratch, e820_entries
        case secure_boot, sentinel, hdr, e820_table

        public var offset: Int { Self.layout[self]!.offset }
        public var width: Int { Self.layout[self]!.width }

        private static let layout: [Field: (offset: Int, width: Int)] = [
            .orig_x: (0x00, 1), .orig_y: (0x01, 1), .orig_video_page: (0x04, 2), .orig_video_mode: (0x06, 1),
            .orig_video_cols: (0x07, 1), .orig_video_lines: (0x0E, 1), .orig_video_isVGA: (0x0F, 1),
            .orig_video_points: (0x10, 2), .lfb_width: (0x12, 2), .lfb_height: (0x14, 2), .lfb_depth: (0x16, 2),
            .lfb_base: (0x18, 4), .lfb_size: (0x1C, 4), .lfb_linelength: (0x24, 2), .red_size: (0x26, 1),
            .red_pos: (0x27, 1), .green_size: (0x28, 1), .green_pos: (0x29, 1), .blue_size: (0x2A, 1),
            .blue_pos: (0x2B, 1), .rsvd_size: (0x2C, 1), .rsvd_pos: (0x2D, 1), .capabilities: (0x36, 4),
            .ext_lfb_base: (0x3A, 4),
            .acpi_rsdp_addr: (0x070, 8), .ext_ramdisk_image: (0x0C0, 4), .ext_ramdisk_size: (0x0C4, 4),
            .ext_cmd_line_ptr: (0x0C8, 4), .efi_info: (0x1C0, 32), .scratch: (0x1E4, 4), .e820_entries: (0x1E8, 1),
            .secure_boot: (0x1EC, 1), .sentinel: (0x1EF, 1), .hdr: (SetupHeader.start, SetupHeader.end - SetupHeader.start),
            .e820_table: (0x2D0, BootParams.e820MaxEntries * BootParams.e820EntrySize),
        ]
    }

    /// Where a setup-header field is in boot_params: where it is in the image.
    public static func offset(of field: SetupHeader.Field) -> Int { field.offset }
}
