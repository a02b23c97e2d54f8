#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets one forward pass at a time run on an engine's backends, in the order the passes asked.
///
/// The backends keep per-pass state in the backend object itself — the BLAS backend's worker pool
/// has one job slot and its kernels share scratch buffers; the Vulkan backend records into one
/// replayed command buffer per segment shape; the accelerator keeps one activity ledger — so two
/// passes on one backend instance at once would corrupt each other. Sessions of one engine therefore
/// take turns: each pass holds the gate for its whole length. The gate is a ticket lock (first come,
/// first served), so sequences generating together advance round-robin, one pass each, instead of
/// the last one to finish a pass winning the race for the next.
///
/// It blocks the calling thread: passes run on threads of their own (`Session.generate`), never on
/// Swift's cooperative pool.
final class PassGate: @unchecked Sendable {
    // @unchecked: `nextTicket` and `serving` are only read and written with `mutex` held. The
    // pthread objects live in memory of their own: they must not move, and `&` on a stored
    // property does not promise a stable address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let turn = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var nextTicket = 0
    private var serving = 0

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(turn, nil)
    }

    deinit {
        pthread_cond_destroy(turn)
        pthread_mutex_destroy(mutex)
        turn.deallocate()
        mutex.deallocate()
    }

    /// Runs `pass` once every pass that asked before has run, with no other pass running.
    func run<T>(_ pass: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        let ticket = nextTicket
        nextTicket += 1
        while serving != ticket { pthread_cond_wait(turn, mutex) }
        pthread_mutex_unlock(mutex)
        defer {
            pthread_mutex_lock(mutex)
            serving += 1
            pthread_cond_broadcast(turn)
            pthread_mutex_unlock(mutex)
        }
        return try pass()
    }
}
