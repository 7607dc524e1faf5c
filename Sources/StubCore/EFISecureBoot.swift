/// boot_params.secure_boot, as the kernel's stub sets it from the firmware's variables (`efi_get_secureboot`): the
/// kernel enables its Secure Boot lockdown from this field, so an image that leaves it 0 boots a Secure Boot
/// machine unlocked.
enum EFISecureBoot {
    /// boot_params.secure_boot values.
    static var disabled: UInt8 { 2 }
    static var enabled: UInt8 { 3 }
    /// EFI_RUNTIME_SERVICES.GetVariable.
    static var getVariable: Int { 72 }
    static var runtimeServices: Int { 88 }

    /// Enabled when `SecureBoot` is 1 and `SetupMode` 0 (EFI global variables), unless shim's volatile
    /// `MokSBStateRT` is 1 (the user turned validation off); disabled otherwise, also when a variable is missing.
    static func mode(_ firmware: EFIFirmware) -> UInt8 {
        guard variable(firmware, name: secureBootName, .globalVariable) == 1,
              variable(firmware, name: setupModeName, .globalVariable) == 0,
              variable(firmware, name: mokSBStateName, .shimLock) != 1 else { return disabled }
        return enabled
    }

    /// A one-byte variable's value, nil when it is missing or longer.
    static func variable(_ firmware: EFIFirmware, name: (UInt64, UInt64, UInt64, UInt64), _ guid: EFI.GUID) -> UInt8? {
        guard let runtime = firmware.systemTable.loadUnaligned(fromByteOffset: runtimeServices, as: UnsafeRawPointer?.self)
        else { return nil }
        let function = runtime.loadUnaligned(fromByteOffset: getVariable, as: UInt64.self)
        var text = name, id = (guid.low, guid.high)
        var attributes: UInt32 = 0, size = 1
        var value: UInt8 = 0
        let status = withUnsafeMutablePointer(to: &text) { n in
            withUnsafeMutablePointer(to: &id) { g in
                withUnsafeMutablePointer(to: &attributes) { a in
                    withUnsafeMutablePointer(to: &size) { s in
                        withUnsafeMutablePointer(to: &value) { v in firmware.call(function, word(n), word(g), word(a), word(s), word(v)) }
                    }
                }
            }
        }
        return EFI.StatusCode.isError(status) || size != 1 ? nil : value
    }

    /// UCS-2 names, NUL-terminated, packed four characters to a word.
    static var secureBootName: (UInt64, UInt64, UInt64, UInt64) { packed("SecureBoot") }
    static var setupModeName: (UInt64, UInt64, UInt64, UInt64) { packed("SetupMode") }
    static var mokSBStateName: (UInt64, UInt64, UInt64, UInt64) { packed("MokSBStateRT") }

    @inline(__always)
    static func packed(_ text: StaticString) -> (UInt64, UInt64, UInt64, UInt64) {
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        text.withUTF8Buffer { bytes in
            withUnsafeMutableBytes(of: &words) { raw in
                var i = 0
                while i < bytes.count && i < 15 {
                    raw.storeBytes(of: UInt16(bytes[i]), toByteOffset: 2 &* i, as: UInt16.self)
                    i &+= 1
                }
            }
        }
        return words
    }
}

extension EFI.GUID {
    /// 8be4df61-93ca-11d2-aa0d-00e098032b8c: EFI_GLOBAL_VARIABLE.
    static var globalVariable: EFI.GUID { EFI.GUID(0x8BE4_DF61, 0x93CA, 0x11D2, 0xAA0D_00E0_9803_2B8C) }
    /// 605dab50-e046-4300-abb6-3dd810dd8b23: shim's variables.
    static var shimLock: EFI.GUID { EFI.GUID(0x605D_AB50, 0xE046, 0x4300, 0xABB6_3DD8_10DD_8B23) }
}
