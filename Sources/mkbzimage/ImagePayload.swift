import ElfKit
import SetupHeader

/// A bzImage's decoded payload, split as the kernel's build joined it: the stripped vmlinux, then the relocation
/// table (what `extract` writes and `--relocs-from` takes).
struct ImagePayload {
    let content: [UInt8]
    /// Where the ELF ends, by its own headers: the table starts there.
    let elfEnd: Int

    init(decoding path: String) throws {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw Failure(path, error) }
        let image = BzImage(image: file.bytes.buffer)
        guard let range = image.payloadRange else {
            let reason = image.findings.first { $0.severity == .error }?.message ?? "no payload (payload_offset/payload_length)"
            throw Failure(path, reason)
        }
        do {
            content = try PayloadDecoding.decode(UnsafeRawBufferPointer(rebasing: file.bytes.buffer[range]))
        } catch {
            throw Failure(path, error)
        }
        do { elfEnd = try ELFFile(MappedFile(bytes: content)).fileExtent } catch {
            throw Failure(path, "the payload does not start with a usable ELF: \(error)")
        }
    }

    var elf: ArraySlice<UInt8> { content[..<elfEnd] }
    var table: ArraySlice<UInt8> { content[elfEnd...] }
}
