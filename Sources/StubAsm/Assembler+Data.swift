// Data directives: values (constants or label expressions), bytes, strings, alignment and padding.

extension Assembler {
    /// Bytes; each value may be signed or unsigned (-128…255).
    public mutating func db(_ values: Imm...) { data(values, .byte) }
    /// Little-endian 16-bit words.
    public mutating func dw(_ values: Imm...) { data(values, .word) }
    /// Little-endian 32-bit words; `dd(label.address)` is the label's absolute address.
    public mutating func dd(_ values: Imm...) { data(values, .dword) }
    /// Little-endian 64-bit words.
    public mutating func dq(_ values: Imm...) { data(values, .qword) }

    private mutating func data(_ values: [Imm], _ size: OperandSize) {
        for value in values {
            append([Field(value, size)], start: offset)
        }
    }

    public mutating func bytes(_ data: some Sequence<UInt8>) { appendBytes(data) }

    /// A string's UTF-8 bytes.
    public mutating func ascii(_ string: String) { appendBytes(string.utf8) }
    /// A string's UTF-8 bytes and a terminating zero.
    public mutating func asciz(_ string: String) { appendBytes(string.utf8 + [0]) }

    /// `count` bytes of `fill`.
    public mutating func space(_ count: Int, fill: UInt8 = 0) {
        guard count >= 0 else { return record(.invalidExpression("negative space \(count)", at: offset)) }
        appendBytes(repeatElement(fill, count: count))
    }

    /// Pads with `fill` until the address (origin + offset) is a multiple of `alignment`.
    public mutating func align(_ alignment: Int, fill: UInt8 = 0) {
        guard alignment > 0 else { return record(.invalidExpression("alignment \(alignment)", at: offset)) }
        let address = (origin &+ UInt64(offset)) % UInt64(alignment)
        space(address == 0 ? 0 : alignment - Int(address), fill: fill)
    }

    /// Pads with `fill` up to `target`, an offset from the start, as for a header at a fixed place.
    public mutating func pad(toOffset target: Int, fill: UInt8 = 0) {
        guard target >= offset else {
            return record(.invalidExpression("already at offset \(offset), past \(target)", at: offset))
        }
        space(target - offset, fill: fill)
    }
}
