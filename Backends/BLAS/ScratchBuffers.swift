import Synchronization

/// Working memory that kernels borrow for the length of a call (a dequantized weight chunk, a block
/// of attention scores) and give back, so the same few buffers serve every op of every pass instead
/// of a fresh allocation per op that the C allocator may keep resident afterwards. At most one
/// buffer per concurrent borrower is kept, each the size of the largest request it has served.
final class ScratchBuffers: Sendable {
    /// Sendable: a buffer is lent to one borrower at a time through the mutex.
    private struct Buffer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
    }
    private let free = Mutex<[Buffer]>([])

    /// Runs `body` with at least `count` floats of uninitialized memory, valid only inside `body`.
    func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        var buffer = free.withLock { $0.popLast() }
        if let small = buffer, small.capacity < count {
            small.pointer.deallocate()
            buffer = nil
        }
        let lent = buffer ?? Buffer(pointer: .allocate(capacity: count), capacity: count)
        defer { free.withLock { $0.append(lent) } }
        return try body(lent.pointer)
    }

    deinit { free.withLock { $0.forEach { $0.pointer.deallocate() } } }
}
