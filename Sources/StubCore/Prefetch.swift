/// Asks the CPU to bring the cache line holding `address` close, to be read soon: a hint that never faults, so
/// any address will do. The freestanding stub is built without SSE, which the instruction belongs to, so there
/// it compiles to nothing (under emulation it would cost without helping anyway).
@inline(__always)
func prefetch(_ address: UnsafeRawPointer) {
    llvmPrefetch(address, 0, 3, 1)  // read, keep in all cache levels, data
}

/// LLVM's prefetch intrinsic, declared by its IR name: Swift has no spelling of its own for it.
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ cache: Int32)
