/// A memory operand, `[base + index*scale + disp]`, written `.mem(.ebx, .esi, scale: 4, 8)`.
///
/// The registers' width is the address size: 16-bit registers give real mode's forms (`[bx+si]`, `[bp+6]`,
/// `[di]`; no scale, and not in 64-bit mode), 32- and 64-bit ones the SIB forms. A width other than the mode's
/// gets the 0x67 prefix. `.mem(address)` is an absolute address of the mode's width, `.rip(label)` a 64-bit
/// mode RIP-relative one. The operand has no size: the register it is used with gives it, or the instruction
/// takes an `OperandSize` (`inc(.dword, .mem(.ebx))`).
public struct Memory: Sendable {
    /// A base or index register: its number and the address size it implies.
    struct AddressRegister: Sendable, Equatable {
        let number: UInt8
        let size: OperandSize

        init<R: GPRegister>(_ register: R) {
            number = register.number
            size = R.size
        }
    }

    var base: AddressRegister?
    var index: AddressRegister?
    var scale: Int = 1
    var displacement: Imm = 0
    var isRIPRelative = false
    var segmentOverride: SegmentReg?

    /// The absolute address `[address]`.
    public static func mem(_ address: Imm) -> Memory {
        Memory(displacement: address)
    }

    /// `[base + disp]` with 16-bit addressing: `bx`, `bp`, `si` or `di`.
    public static func mem(_ base: Reg16, _ disp: Imm = 0) -> Memory {
        Memory(base: AddressRegister(base), displacement: disp)
    }

    /// `[base + index + disp]` with 16-bit addressing: `bx` or `bp` with `si` or `di`, in either order.
    public static func mem(_ base: Reg16, _ index: Reg16, _ disp: Imm = 0) -> Memory {
        Memory(base: AddressRegister(base), index: AddressRegister(index), displacement: disp)
    }

    /// `[base + disp]` with 32-bit addressing.
    public static func mem(_ base: Reg32, _ disp: Imm = 0) -> Memory {
        Memory(base: AddressRegister(base), displacement: disp)
    }

    /// `[base + index*scale + disp]` with 32-bit addressing; scale 1, 2, 4 or 8.
    public static func mem(_ base: Reg32, _ index: Reg32, scale: Int = 1, _ disp: Imm = 0) -> Memory {
        Memory(base: AddressRegister(base), index: AddressRegister(index), scale: scale, displacement: disp)
    }

    /// `[index*scale + disp]` with 32-bit addressing.
    public static func mem(index: Reg32, scale: Int, _ disp: Imm = 0) -> Memory {
        Memory(index: AddressRegister(index), scale: scale, displacement: disp)
    }

    /// `[base + disp]` with 64-bit addressing.
    public static func mem(_ base: Reg64, _ disp: Imm = 0) -> Memory {
        Memory(base: AddressRegister(base), displacement: disp)
    }

    /// `[base + index*scale + disp]` with 64-bit addressing; scale 1, 2, 4 or 8.
    public static func mem(_ base: Reg64, _ index: Reg64, scale: Int = 1, _ disp: Imm = 0) -> Memory {
        Memory(base: AddressRegister(base), index: AddressRegister(index), scale: scale, displacement: disp)
    }

    /// `[index*scale + disp]` with 64-bit addressing.
    public static func mem(index: Reg64, scale: Int, _ disp: Imm = 0) -> Memory {
        Memory(index: AddressRegister(index), scale: scale, displacement: disp)
    }

    /// `[rip + target - next instruction]`: the absolute address `target`, reached position-independently.
    public static func rip(_ target: Imm) -> Memory {
        Memory(displacement: target, isRIPRelative: true)
    }

    /// `[rip + label]`.
    public static func rip(_ label: Label) -> Memory { rip(label.address) }

    /// The same operand with a segment-override prefix, such as `es:[di]` or `fs:[0]`.
    public func segment(_ segment: SegmentReg) -> Memory {
        var copy = self
        copy.segmentOverride = segment
        return copy
    }

    /// Absolute `[disp]`: no register at all.
    var isAbsolute: Bool { base == nil && index == nil && !isRIPRelative }
}
