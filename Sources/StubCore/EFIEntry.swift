// The EFI entry's C-callable function, called by the boot code's PE entry; compiled only into the freestanding
// stub, linked into a blob of its own (`-e stub_efi_main`) that an image carries beside its format's stub.
#if STUB_FREESTANDING

/// `stub_efi_main(imageHandle, systemTable, call, image, parameters, handoff)`: prepares the boot as a loader
/// (EFIBoot.run) and writes {boot_params, entry} to `handoff` (whose second word brings the boot code's TSC
/// as a seed for physical KASLR); returns 0, or an EFI status after printing the
/// reason on the firmware console (boot services are still up: the entry returns to the firmware).
@_cdecl("stub_efi_main")
public func stubEFIMain(_ imageHandle: UInt64, _ systemTable: UnsafeRawPointer, _ call: EFIFirmware.Call,
                        _ image: UnsafeRawPointer, _ parameters: UnsafeRawPointer,
                        _ handoff: UnsafeMutableRawPointer) -> UInt64 {
    guard let firmware = EFIFirmware(call: call, imageHandle: imageHandle, systemTable: systemTable) else {
        return EFI.StatusCode.invalidParameter
    }
    return hand(off: handoff, firmware) { () throws(EFIBoot.Failure) in
        try EFIBoot.run(firmware, image: image, parameters: EFIParameters(reading: parameters),
                        seed: handoff.load(fromByteOffset: 8, as: UInt64.self))
    }
}

/// Writes the sequence's {boot_params, entry} to `handoff` and returns 0, or prints its failure on the firmware
/// console and returns the status.
@inline(__always)
func hand(off handoff: UnsafeMutableRawPointer, _ firmware: EFIFirmware,
          _ sequence: () throws(EFIBoot.Failure) -> EFIBoot.Handoff) -> UInt64 {
    do throws(EFIBoot.Failure) {
        let result = try sequence()
        handoff.storeBytes(of: result.bootParams, as: UInt64.self)
        handoff.storeBytes(of: result.entry, toByteOffset: 8, as: UInt64.self)
        return EFI.StatusCode.success
    } catch {
        error.message.withUTF8Buffer { firmware.print(UnsafeRawBufferPointer($0)) }
        return error.status
    }
}

/// `stub_efi_handover(imageHandle, systemTable, call, image, parameters, handoff)`: the EFI handover protocol's
/// entry; handoff[0] holds the loader's boot_params on the way in.
@_cdecl("stub_efi_handover")
public func stubEFIHandover(_ imageHandle: UInt64, _ systemTable: UnsafeRawPointer, _ call: EFIFirmware.Call,
                            _ image: UnsafeRawPointer, _ parameters: UnsafeRawPointer,
                            _ handoff: UnsafeMutableRawPointer) -> UInt64 {
    guard let firmware = EFIFirmware(call: call, imageHandle: imageHandle, systemTable: systemTable),
          let bootParams = UnsafeMutableRawPointer(bitPattern: UInt(handoff.load(as: UInt64.self))) else {
        return EFI.StatusCode.invalidParameter
    }
    return hand(off: handoff, firmware) { () throws(EFIBoot.Failure) in
        try EFIBoot.handover(firmware, image: image, parameters: EFIParameters(reading: parameters),
                             bootParams: bootParams, seed: handoff.load(fromByteOffset: 8, as: UInt64.self))
    }
}
#endif
