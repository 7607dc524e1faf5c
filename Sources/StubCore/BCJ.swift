/// The x86 branch/call/jump filter (.xz filter 0x04): E8 (call) and E9 (jmp) operands that the encoder turned from
/// relative into absolute addresses are turned back. Decoded in place over one block's whole output, which is what
/// the streaming decoder computes too: the last four bytes, which cannot hold a whole operand, stay as they are.
public enum BCJ {
    /// Undoes the x86 filter over `buffer`, whose first byte is at filter position `startOffset` (the filter's
    /// start-offset property, zero by default).
    public static func x86Decode(_ buffer: UnsafeMutableRawBufferPointer, startOffset: UInt32 = 0) {
        let size = buffer.count
        guard size >= 5, let bytes = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var prevMask: UInt32 = 0
        var prevPos: Int = -5  // position of the last E8/E9 seen, relative to buffer[0]
        var i = 0
        let last = size - 5  // an opcode here still has its four operand bytes inside the buffer
        while i <= last {
            let opcode = bytes[i]
            if opcode != 0xE8 && opcode != 0xE9 {
                i += 1
                continue
            }
            let distance = i - prevPos
            prevPos = i
            if distance > 5 {
                prevMask = 0
            } else {
                for _ in 0..<distance { prevMask = (prevMask & 0x77) << 1 }
            }
            var high = bytes[i + 4]
            let maskIndex = (prevMask >> 1) & 7
            // Allowed prior-mask patterns: 0, 1, 2, 4 (the masks of nearby E8/E9 bytes that were not converted).
            let allowed = (0x17 as UInt32) >> maskIndex & 1 != 0
            if isMSByte(high) && allowed && prevMask >> 1 < 0x10 {
                var source = UInt32(high) << 24 | UInt32(bytes[i + 3]) << 16 | UInt32(bytes[i + 2]) << 8
                    | UInt32(bytes[i + 1])
                let position = startOffset &+ UInt32(truncatingIfNeeded: i) &+ 5
                var target: UInt32
                while true {
                    target = source &- position
                    if prevMask == 0 { break }
                    let index = prevMask >> 1
                    let bitNumber: UInt32 = index == 0 ? 0 : index == 1 ? 1 : index < 4 ? 2 : 3
                    high = UInt8(truncatingIfNeeded: target >> (24 - bitNumber * 8))
                    if !isMSByte(high) { break }
                    source = target ^ (UInt32.max >> (bitNumber * 8))
                }
                // Bit 24 of the absolute address decides the sign byte.
                bytes[i + 4] = target & 0x0100_0000 != 0 ? 0xFF : 0x00
                bytes[i + 3] = UInt8(truncatingIfNeeded: target >> 16)
                bytes[i + 2] = UInt8(truncatingIfNeeded: target >> 8)
                bytes[i + 1] = UInt8(truncatingIfNeeded: target)
                i += 5
                prevMask = 0
            } else {
                i += 1
                prevMask |= 1
                if isMSByte(high) { prevMask |= 0x10 }
            }
        }
    }

    @inline(__always)
    static func isMSByte(_ b: UInt8) -> Bool { b == 0 || b == 0xFF }
}
