/// LZMA2 as .xz blocks carry it: a sequence of chunks, each an uncompressed run or an LZMA chunk (at most 2 MiB out,
/// 64 KiB in, with its own range coder), ended by a zero control byte. Decoded in single-call mode into the
/// decoder's output, which is the dictionary.
enum LZMA2 {
    /// Decodes the LZMA2 stream starting at `input[start]`, writing from `decoder.written` up to at most `limit`;
    /// returns the input position just past the end byte. The first chunk must reset the dictionary.
    static func decode(_ input: UnsafeRawBufferPointer, at start: Int, decoder: inout LZMADecoder, limit: Int)
        throws(DecodeError) -> Int
    {
        guard start >= 0, limit <= decoder.output.count else { throw .outputOverflow }
        var at = start
        var needDictionaryReset = true, needProperties = true
        while true {
            reportProgress(input, at, decoder.output, decoder.written)
            guard at < input.count else { throw .truncated }
            let control = input[at]
            at += 1
            if control == 0x00 { return at }
            if control >= 0xE0 || control == 0x01 {
                // Dictionary reset: matches may no longer reach before this point.
                needProperties = true
                needDictionaryReset = false
                decoder.dictionaryStart = decoder.written
            } else if needDictionaryReset {
                throw .badHeader
            }
            if control >= 0x80 {
                guard input.count - at >= 4 else { throw .truncated }
                let unpacked = (Int(control & 0x1F) << 16 | Int(input[at]) << 8 | Int(input[at + 1])) + 1
                let packed = (Int(input[at + 2]) << 8 | Int(input[at + 3])) + 1
                at += 4
                if control >= 0xC0 {
                    guard at < input.count else { throw .truncated }
                    try decoder.setProperties(input[at])
                    at += 1
                    needProperties = false
                    decoder.resetState()
                } else if needProperties {
                    throw .badHeader
                } else if control >= 0xA0 {
                    decoder.resetState()
                }
                guard packed <= input.count - at else { throw .truncated }
                guard unpacked <= limit - decoder.written else { throw .outputOverflow }
                let chunk = UnsafeRawBufferPointer(rebasing: input[at..<at + packed])
                var rc = try RangeDecoder(chunk, at: 0)
                _ = try decoder.decode(&rc, limit: decoder.written + unpacked, endMarker: false)
                // The chunk must end exactly where its range coder does, flushed to a zero code.
                guard rc.position == packed, rc.isFinished else { throw .badHeader }
                at += packed
            } else {
                guard control <= 0x02 else { throw .badHeader }
                guard input.count - at >= 2 else { throw .truncated }
                let size = (Int(input[at]) << 8 | Int(input[at + 1])) + 1
                at += 2
                guard size <= input.count - at else { throw .truncated }
                guard size <= limit - decoder.written, let out = decoder.output.baseAddress else {
                    throw .outputOverflow
                }
                (out + decoder.written).copyMemory(from: input.baseAddress! + at, byteCount: size)
                decoder.written += size
                at += size
            }
        }
    }
}
