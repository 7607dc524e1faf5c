/// UEFI's tables and protocols as the x86-64 EFI entry reads them: byte offsets into the structures (UEFI 2.10:
/// the system table §4.3, boot services §4.4 and §7, EFI_LOADED_IMAGE_PROTOCOL §9.1, the memory descriptor §7.2,
/// GOP §12.9, LoadFile2 §13.2), status codes and GUIDs. Pointers and UINTN are 8 bytes.
/// Constants in StubCore are computed (`static var … { value }`), never stored `static let`: a stored constant is a
/// global in the stub's one .rodata section, which the linker cannot drop, so every format's stub would carry it.
public enum EFI {
    public typealias Status = UInt64

    public enum StatusCode {
        static var errorBit: UInt64 { 1 << 63 }
        public static var success: Status { 0 }
        public static var loadError: Status { errorBit | 1 }
        public static var invalidParameter: Status { errorBit | 2 }
        public static var unsupported: Status { errorBit | 3 }
        public static var bufferTooSmall: Status { errorBit | 5 }
        public static var outOfResources: Status { errorBit | 9 }
        public static var volumeCorrupted: Status { errorBit | 10 }
        public static var notFound: Status { errorBit | 14 }

        public static func isError(_ status: Status) -> Bool { status & errorBit != 0 }
    }

    public enum SystemTable {
        /// "IBI SYST"
        public static var signature: UInt64 { 0x5453_5953_2049_4249 }
        public static var conOut: Int { 64 }
        public static var bootServices: Int { 96 }
        public static var numberOfTableEntries: Int { 104 }
        public static var configurationTable: Int { 112 }
    }

    /// Offsets of the boot services' function pointers.
    public enum BootServices {
        public static var allocatePages: Int { 40 }
        public static var freePages: Int { 48 }
        public static var getMemoryMap: Int { 56 }
        public static var allocatePool: Int { 64 }
        public static var freePool: Int { 72 }
        public static var handleProtocol: Int { 152 }
        public static var locateDevicePath: Int { 184 }
        public static var exit: Int { 216 }
        public static var exitBootServices: Int { 232 }
        public static var locateProtocol: Int { 320 }
    }

    public enum SimpleTextOutput {
        public static var outputString: Int { 8 }
    }

    public enum LoadedImage {
        public static var deviceHandle: Int { 24 }
        public static var loadOptionsSize: Int { 48 }
        public static var loadOptions: Int { 56 }
        public static var imageBase: Int { 64 }
        public static var imageSize: Int { 72 }
    }

    /// EFI_SIMPLE_FILE_SYSTEM_PROTOCOL (§13.4) and EFI_FILE_PROTOCOL (§13.5): function pointers after a u64 Revision.
    public enum SimpleFileSystem {
        public static var openVolume: Int { 8 }
    }

    public enum File {
        public static var open: Int { 8 }
        public static var close: Int { 16 }
        public static var read: Int { 32 }
        public static var getInfo: Int { 64 }
        public static var modeRead: UInt64 { 1 }
        /// EFI_FILE_INFO: u64 Size, u64 FileSize, …, the file's name (UCS-2) from byte 80.
        public static var infoFileSize: Int { 8 }
        public static var infoFileName: Int { 80 }
    }

    public enum AllocateType {
        public static var anyPages: UInt64 { 0 }
        public static var maxAddress: UInt64 { 1 }
        public static var address: UInt64 { 2 }
    }

    public enum MemoryType {
        public static var reserved: UInt32 { 0 }
        public static var loaderCode: UInt32 { 1 }
        public static var loaderData: UInt32 { 2 }
        public static var bootServicesCode: UInt32 { 3 }
        public static var bootServicesData: UInt32 { 4 }
        public static var runtimeServicesCode: UInt32 { 5 }
        public static var runtimeServicesData: UInt32 { 6 }
        public static var conventional: UInt32 { 7 }
        public static var unusable: UInt32 { 8 }
        public static var acpiReclaim: UInt32 { 9 }
        public static var acpiNVS: UInt32 { 10 }
        public static var mmio: UInt32 { 11 }
        public static var mmioPortSpace: UInt32 { 12 }
        public static var palCode: UInt32 { 13 }
        public static var persistent: UInt32 { 14 }
    }

    /// EFI_MEMORY_DESCRIPTOR (its stride is the firmware's DescriptorSize, usually 48, never assumed).
    public enum MemoryDescriptor {
        public static var type: Int { 0 }
        public static var physicalStart: Int { 8 }
        public static var numberOfPages: Int { 24 }
        public static var attribute: Int { 32 }
        public static var minimumSize: Int { 40 }
    }

    public static var pageSize: Int { 4096 }

    /// An EFI_GUID as two little-endian words, as it lies in memory: `low` = data1 | data2 << 32 | data3 << 48,
    /// `high` = data4[0] … data4[7] from the lowest byte.
    public struct GUID: Equatable, Sendable {
        public let low: UInt64, high: UInt64
        public init(_ data1: UInt32, _ data2: UInt16, _ data3: UInt16, _ data4: UInt64) {
            low = UInt64(data1) | UInt64(data2) << 32 | UInt64(data3) << 48
            high = data4.byteSwapped
        }

        public init(reading raw: UnsafeRawPointer) {
            low = raw.loadUnaligned(as: UInt64.self)
            high = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        }

        public func write(to raw: UnsafeMutableRawPointer) {
            raw.storeBytes(of: low, as: UInt64.self)
            raw.storeBytes(of: high, toByteOffset: 8, as: UInt64.self)
        }

        /// 5b1b31a1-9562-11d2-8e3f-00a0c969723b
        public static var loadedImage: GUID { GUID(0x5B1B_31A1, 0x9562, 0x11D2, 0x8E3F_00A0_C969_723B) }
        /// 9042a9de-23dc-4a38-96fb-7aded080516a
        public static var graphicsOutput: GUID { GUID(0x9042_A9DE, 0x23DC, 0x4A38, 0x96FB_7ADE_D080_516A) }
        /// 4006c0c1-fcb3-403e-996d-4a6c8724e06d
        public static var loadFile2: GUID { GUID(0x4006_C0C1, 0xFCB3, 0x403E, 0x996D_4A6C_8724_E06D) }
        /// 09576e91-6d3f-11d2-8e39-00a0c969723b
        public static var devicePath: GUID { GUID(0x0957_6E91, 0x6D3F, 0x11D2, 0x8E39_00A0_C969_723B) }
        /// 964e5b22-6459-11d2-8e39-00a0c969723b
        public static var simpleFileSystem: GUID { GUID(0x964E_5B22, 0x6459, 0x11D2, 0x8E39_00A0_C969_723B) }
        /// 09576e92-6d3f-11d2-8e39-00a0c969723b
        public static var fileInfo: GUID { GUID(0x0957_6E92, 0x6D3F, 0x11D2, 0x8E39_00A0_C969_723B) }
        /// 5568e427-68fc-4f3d-ac74-ca555231cc68: the vendor media node of the Linux initrd device path.
        public static var linuxInitrdMedia: GUID { GUID(0x5568_E427, 0x68FC, 0x4F3D, 0xAC74_CA55_5231_CC68) }
    }
}
