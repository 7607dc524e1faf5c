/// The x86 boot protocol this module models (issue: SetupHeader). For now, the constants every later piece
/// agrees on.
public enum BootProtocol {
    /// Protocol version written and expected: 2.15.
    public static let version: UInt16 = 0x020F
    /// "HdrS" at offset 0x202.
    public static let headerMagic: UInt32 = 0x5372_6448
    /// Offset of the setup header inside the boot sector.
    public static let headerOffset = 0x1F1
}
