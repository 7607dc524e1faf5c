/// Which generation of the kernel's `arch/x86/tools/relocs` to reproduce. The tool changed twice in ways that
/// change its output: 6.12 narrowed one S_REL alternative, and 6.15 dropped the per-cpu handling together with
/// the inverse-32 table.
public enum RelocsRules: Sendable, Equatable, CustomStringConvertible {
    /// 6.1 … 6.11: three tables, per-cpu handling.
    case linux6_1
    /// 6.12 … 6.14: three tables, per-cpu handling, `__alt_instructions(_end)?` only in S_REL.
    case linux6_12
    /// 6.15 and later: two tables (`0, R64, 0, R32`), no per-cpu handling, REX_GOTPCRELX is PC-relative.
    case linux6_15

    /// The rules of the given kernel release.
    public init(major: Int, minor: Int) {
        switch (major, minor) {
        case let (m, _) where m > 6: self = .linux6_15
        case let (6, n) where n >= 15: self = .linux6_15
        case let (6, n) where n >= 12: self = .linux6_12
        default: self = .linux6_1
        }
    }

    /// Parses "6.15", "6.1.0-53-cloud-amd64", "7.0-rc1" …
    public init?(version: String) {
        let numbers = version.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        self.init(major: numbers[0], minor: numbers[1])
    }

    public var hasInverseTable: Bool { self != .linux6_15 }

    public var description: String {
        switch self {
        case .linux6_1: return "6.1-6.11 (three tables)"
        case .linux6_12: return "6.12-6.14 (three tables)"
        case .linux6_15: return "6.15+ (two tables)"
        }
    }

    /// S_ABS: absolute symbols whose value must not be relocated.
    static let absolutePattern =
        "^(xen_irq_disable_direct_reloc$|xen_save_fl_direct_reloc$|VDSO|__kcfi_typeid_|__crc_)"

    /// S_REL: linker-script symbols marked absolute by the linker that really are section-relative.
    /// (`__(start|end)_builtin_fw` is compiled out of the host tool, so it is not here.)
    var relativePattern: String {
        let altinstr = self == .linux6_1 ? "(__parainstructions|__alt_instructions)(_end)?" : "__alt_instructions(_end)?"
        let perCPULoad = self == .linux6_15 ? "" : "__per_cpu_load|"
        return "^(__init_(begin|end)|__x86_cpu_dev_(start|end)|" + altinstr
            + "|(__iommu_table|__apicdrivers|__smp_locks)(_end)?|__(start|end)_pci_.*|"
            + "__(start|stop)___ksymtab(_gpl)?|__(start|stop)___kcrctab(_gpl)?|__(start|stop)___param|"
            + "__(start|stop)___modver|__(start|stop)___bug_table|__tracedata_(start|end)|__(start|stop)_notes|"
            + "__end_rodata|__end_rodata_aligned|__initramfs_start|(jiffies|jiffies_64)|" + perCPULoad
            + "init_per_cpu__.*|__end_rodata_hpage_align|__vvar_page|_end)$"
    }
}
