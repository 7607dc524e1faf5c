import BootImage
import StubCore
import Testing

/// The texts the boot code prints for a stub's failure are `BootFailure.message`, each NUL-terminated in the
/// image's table.
@Suite struct BootFailureMessageTests {
    @Test func theImageCarriesEveryBootFailureMessage() throws {
        let input = KernelImageInput(payload: [UInt8](repeating: 0, count: 64), format: .lz4, outputLength: 4096,
                                     kernelSize: 0x100_0000, loadAddress: 0x100_0000, alignment: 0x20_0000,
                                     inverseTable: true, kernelVersion: "6.1.0-test (test@example) #1 SMP")
        let image = try BootImageWriter.build(input)
        for raw in 0..<BootFailure.count {
            let failure = try #require(BootFailure(rawValue: raw))
            #expect(failure.message.hasPrefix("mkbzimage: ") && failure.message.hasSuffix("; halting\r\n"))
            #expect(image.firstRange(of: Array(failure.message.utf8) + [0]) != nil, "\(failure)")
        }
    }
}
