/// Assembles x86 machine code for one contiguous image loaded at `origin`, in 16-, 32- and 64-bit code alike.
///
/// Instructions are methods named after their Intel mnemonics, operands in Intel order (destination first):
///
///     var asm = Assembler(mode: .bits16, origin: 0x1000)
///     let start32 = asm.label("start32")
///     asm.mov(.eax, .cr0)
///     asm.or(.eax, 1)
///     asm.mov(.cr0, .eax)
///     asm.ljmp(0x08, start32.address, size: .dword)
///     asm.mode = .bits32
///     asm.bind(start32)
///     asm.mov(.dword, .mem(.ebx, .esi, scale: 4, 8), 0)   // mov dword ptr [ebx + 4*esi + 8], 0
///     let code = try asm.finish()
///
/// - Registers are typed by width (`Reg8`…`Reg64`), so operands that must agree do at compile time; the prefixes
///   (0x66, 0x67, REX) follow from the widths and the mode.
/// - `Memory` operands carry no size: a register operand gives it, else the method takes an `OperandSize` first.
/// - Numbers are `Imm`: constants, or expressions over labels (`label.address`, `label.offset`) resolved by
///   `finish()`. A constant gets the shortest encoding, an expression with a label always the full-width one, and
///   jumps are near unless asked to be `.short`, so the output never depends on where labels land.
///
/// Methods never trap and never throw: an operand combination the mode cannot encode is recorded, and `finish()`
/// throws the first such error, or one for an undefined label or a value out of range.
public struct Assembler: Sendable {
    /// The mode of the instructions that follow; change it where the code changes mode.
    public var mode: CodeMode
    /// The address of the first byte; `Label.address` is relative to it.
    public let origin: UInt64

    private(set) var bytes: [UInt8] = []
    private var labels: [LabelRecord] = []
    private var fixups: [Fixup] = []
    /// Errors in the order they were made; `finish()` throws the first.
    public private(set) var errors: [AssemblerError] = []

    struct LabelRecord: Sendable {
        let name: String?
        var offset: Int?
    }

    /// A field whose value `finish()` computes and writes once every label is bound.
    struct Fixup: Sendable {
        let at: Int
        let field: Field
        /// The instruction's bounds: errors name its start, relative values count from its end.
        let start: Int
        let end: Int
    }

    public init(mode: CodeMode, origin: UInt64 = 0) {
        self.mode = mode
        self.origin = origin
    }

    /// Bytes emitted so far: the offset of the next instruction.
    public var offset: Int { bytes.count }

    // MARK: Labels

    /// A new, unbound label. The name only appears in errors.
    public mutating func label(_ name: String? = nil) -> Label {
        labels.append(LabelRecord(name: name))
        return Label(id: labels.count - 1)
    }

    /// Binds `label` to the current offset.
    public mutating func bind(_ label: Label) {
        guard labels.indices.contains(label.id) else {
            return errors.append(.undefinedLabel(labelName(label.id), at: offset))
        }
        guard labels[label.id].offset == nil else {
            return errors.append(.labelBoundTwice(labelName(label.id), at: offset))
        }
        labels[label.id].offset = offset
    }

    /// A new label bound to the current offset.
    public mutating func here(_ name: String? = nil) -> Label {
        let label = label(name)
        bind(label)
        return label
    }

    /// Where `label` is bound, if it is.
    public func offset(of label: Label) -> Int? {
        labels.indices.contains(label.id) ? labels[label.id].offset : nil
    }

    /// Every named, bound label by offset (then name): a symbol map of the code, for debugging it.
    public var symbols: [(name: String, offset: Int)] {
        labels.compactMap { record in record.name.flatMap { name in record.offset.map { (name, $0) } } }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    }

    private func labelName(_ id: Int) -> String {
        (labels.indices.contains(id) ? labels[id].name : nil) ?? "#\(id)"
    }

    // MARK: Output

    /// The machine code, every label reference and expression resolved.
    public func finish() throws(AssemblerError) -> [UInt8] {
        if let error = errors.first { throw error }
        var output = bytes
        let origin = Int64(bitPattern: self.origin)
        for fixup in fixups {
            var value: Int64
            do throws(EvaluationError) {
                value = try fixup.field.value.node.evaluate(offset: { offset(of: Label(id: $0)) }, origin: origin)
            } catch {
                switch error {
                case .undefinedLabel(let id): throw .undefinedLabel(labelName(id), at: fixup.start)
                case .divisionByZero: throw .invalidExpression("division by zero", at: fixup.start)
                }
            }
            let bits = fixup.field.size.rawValue
            switch fixup.field.kind {
            case .either, .signed:
                guard value.fits(bits: bits, signed: fixup.field.kind == .signed) else {
                    throw .valueOutOfRange(value, bits: bits, at: fixup.start)
                }
            case .relative:
                value = value &- origin &- Int64(fixup.end)
                guard value.fits(bits: bits, signed: true) else {
                    throw .jumpOutOfRange(distance: value, bits: bits, at: fixup.start)
                }
            }
            for i in 0..<fixup.field.size.bytes {
                output[fixup.at + i] = UInt8(truncatingIfNeeded: value >> (8 * i))
            }
        }
        return output
    }

    // MARK: Emitting

    /// Encodes and appends one instruction, or records why it cannot be encoded.
    mutating func emit(_ mnemonic: String, _ encode: (Encoder) throws -> Instruction) {
        do {
            append(try encode(Encoder(mode: mode)))
        } catch {
            let reason = (error as? OperandError)?.reason ?? "\(error)"
            errors.append(.invalidOperands(mnemonic, reason: reason, mode: mode, at: offset))
        }
    }

    mutating func append(_ instruction: Instruction) {
        let start = offset
        bytes += instruction.head
        append(instruction.fields, start: start)
    }

    /// Appends fields as zeros, to be filled in by `finish()`.
    mutating func append(_ fields: [Field], start: Int) {
        var positions: [Int] = []
        for field in fields {
            positions.append(offset)
            bytes += repeatElement(0, count: field.size.bytes)
        }
        for (at, field) in zip(positions, fields) {
            fixups.append(Fixup(at: at, field: field, start: start, end: offset))
        }
    }

    mutating func appendBytes(_ data: some Sequence<UInt8>) {
        bytes += data
    }

    mutating func record(_ error: AssemblerError) {
        errors.append(error)
    }
}

extension Int64 {
    /// Whether the value fits a `bits`-bit field: as a signed number, or (unless `signed`) as either kind.
    func fits(bits: Int, signed: Bool) -> Bool {
        guard bits < 64 else { return true }
        let min = -(Int64(1) << (bits - 1))
        let max = signed ? (Int64(1) << (bits - 1)) - 1 : (Int64(1) << bits) - 1
        return self >= min && self <= max
    }
}
