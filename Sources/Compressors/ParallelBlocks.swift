import Dispatch
import Synchronization

/// Runs `count` independent jobs on up to `threads` threads and returns their results in job order, so the
/// output does not depend on the thread count.
func parallelMap<T>(count: Int, threads: Int, _ job: (Int) throws(CompressionError) -> T)
    throws(CompressionError) -> [T]
{
    if threads <= 1 || count <= 1 {
        var results = [T]()
        results.reserveCapacity(count)
        for index in 0..<count { results.append(try job(index)) }
        return results
    }
    let slots = UnsafeMutableBufferPointer<Result<T, CompressionError>?>.allocate(capacity: count)
    slots.initialize(repeating: nil)
    defer { slots.deinitialize(); slots.deallocate() }
    let workers = min(threads, count)
    // Each worker takes the next job when it is free: blocks differ a lot in cost (a kernel's zeros compress in
    // no time, its code slowly), so a fixed share per worker would leave one waiting on the other.
    let next = Atomic<Int>(0)
    withoutActuallyEscaping(job) { job in
        nonisolated(unsafe) let job = job
        nonisolated(unsafe) let slots = slots
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < count else { return }
                do throws(CompressionError) { slots[index] = .success(try job(index)) } catch { slots[index] = .failure(error) }
            }
        }
    }
    var results = [T]()
    results.reserveCapacity(count)
    for slot in slots { results.append(try slot!.get()) }
    return results
}
