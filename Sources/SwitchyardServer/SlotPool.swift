import Synchronization

/// The server's generation slots: at most `parallel` requests generate at once; up to `queueLimit`
/// more wait, first come first served; one more is refused (`APIError.queueFull`, 429).
///
/// A slot is held through a `SlotLease`, which gives it back when released or dropped, so a request
/// that fails or whose client goes away never keeps its slot.
final class SlotPool: Sendable {
    let parallel: Int
    let queueLimit: Int

    private struct State {
        var active = 0
        var nextWaiter = 0
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []   // short: at most queueLimit
    }
    private let state = Mutex(State())
    /// Called with (active, waiting) after every change, for the metrics.
    private let observe: @Sendable (Int, Int) -> Void

    init(parallel: Int, queueLimit: Int, observe: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) {
        self.parallel = max(1, parallel)
        self.queueLimit = max(0, queueLimit)
        self.observe = observe
    }

    /// Requests generating now, and requests waiting for a slot.
    var occupancy: (active: Int, waiting: Int) { state.withLock { ($0.active, $0.waiting.count) } }

    /// A slot: at once when one is free, else after the requests queued before this one.
    /// - Throws: `APIError.queueFull` when the queue is full; `CancellationError` when the waiting
    ///   task is cancelled (it leaves the queue).
    func acquire() async throws -> SlotLease {
        enum Decision { case granted, queued, refused, cancelled }
        let id = state.withLock { s -> Int in s.nextWaiter += 1; return s.nextWaiter }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let decision = state.withLock { s -> Decision in
                    if s.active < parallel { s.active += 1; return .granted }
                    // Cancelled before it could queue: the cancellation handler has already looked.
                    if Task.isCancelled { return .cancelled }
                    if s.waiting.count < queueLimit { s.waiting.append((id, continuation)); return .queued }
                    return .refused
                }
                report()
                switch decision {
                case .granted: continuation.resume()
                case .queued: break
                case .refused: continuation.resume(throwing: APIError.queueFull(parallel: parallel, queue: queueLimit))
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let removed = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let index = s.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiting.remove(at: index).continuation
            }
            report()
            removed?.resume(throwing: CancellationError())
        }
        return SlotLease(pool: self)
    }

    /// Hands a slot to the first waiting request, or frees it.
    fileprivate func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if !s.waiting.isEmpty { return s.waiting.removeFirst().continuation }
            s.active -= 1
            return nil
        }
        report()
        next?.resume()
    }

    private func report() {
        let (active, waiting) = occupancy
        observe(active, waiting)
    }
}

/// One request's hold on a generation slot. `release()` gives it back (once; later calls do
/// nothing); a lease dropped without release gives it back then.
final class SlotLease: Sendable {
    private let pool: SlotPool
    private let released = Atomic<Bool>(false)

    fileprivate init(pool: SlotPool) { self.pool = pool }

    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pool.release()
    }

    deinit { release() }
}
