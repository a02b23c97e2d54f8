#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One block of host memory that holds a pass's activations at the offsets of the plan's
/// `HostMemoryPlan`. A session keeps one for all its passes, sized for the plan it runs. Views into
/// it must not outlive the pass (the executor drops them all before it returns; graph outputs are
/// never placed here).
/// Sendable: one session's; a session runs one pass at a time, and within a pass the kernels' threads write disjoint views.
final class HostArena: @unchecked Sendable {
    private var base: UnsafeMutableRawPointer?
    private(set) var capacity = 0

    /// Makes the block fit a plan that needs `bytes`: grows it when it is too small, and gives the
    /// memory back when it is more than four times too large (decode steps after a prefill need
    /// kilobytes, the prefill megabytes). Only between passes: either moves the block.
    /// - Throws: `ExecutionError.outOfMemory` when the allocation fails (the block is then empty).
    func fit(_ bytes: Int) throws {
        guard bytes > capacity || bytes < capacity / 4 else { return }
        free(base)
        base = nil
        capacity = 0
        guard bytes > 0 else { return }
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, HostMemoryPlan.alignment, bytes) == 0, let memory else {
            throw ExecutionError.outOfMemory(bytes: bytes)
        }
        base = memory
        capacity = bytes
    }

    /// A tensor over the block's bytes from `offset` (contents left from earlier use).
    func tensor(shape: [Int], offset: Int) -> HostTensor {
        precondition(offset + shape.reduce(1, *) * MemoryLayout<Float>.size <= capacity, "HostArena: view past the block")
        let start = (base! + offset).assumingMemoryBound(to: Float.self)
        return HostTensor(shape: shape, viewing: start, of: self)
    }

    deinit { free(base) }
}
