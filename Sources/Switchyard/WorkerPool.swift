#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Dispatch

/// A fixed set of worker threads for splitting one loop across cores with microsecond latency.
/// Decode runs a few hundred small parallel loops per token; a dispatch queue's wake-up cost
/// would be a large part of the token's time. Workers spin briefly for the next job, then sleep;
/// they stop when the pool is released. CPU backends share it (the BLAS backend, the accelerator's
/// emulator).
/// Sendable: `run` may be called from any thread, one job at a time (the backends that own a pool
/// hold a lock around each segment); the job hand-off is through atomics.
public final class WorkerPool: @unchecked Sendable {
    public let threadCount: Int
    private let shared: Shared
    /// How long an idle worker spins before it sleeps.
    static let spinLimit = Duration.milliseconds(3)

    /// What the caller and the workers share; workers hold it, so it outlives the pool.
    /// Sendable: `job` is written by the caller before the release store of `pending` and read by workers after their acquire load; everything else is atomic.
    private final class Shared: @unchecked Sendable {
        let generation = Atomic<Int>(0)
        let pending = Atomic<Int>(0)
        let stopping = Atomic<Bool>(false)
        var job: ((Int) -> Void)?
        // In memory of their own: pthread objects must not move (`&` on a stored property does
        // not promise a stable address).
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        var sleeping = 0
        init() { pthread_mutex_init(mutex, nil); pthread_cond_init(wake, nil) }
        // Runs once the pool and every worker thread have let go (workers hold `Shared` until they exit).
        deinit {
            pthread_cond_destroy(wake); pthread_mutex_destroy(mutex)
            wake.deallocate(); mutex.deallocate()
        }

        func signal() {
            pthread_mutex_lock(mutex)
            generation.add(1, ordering: .releasing)
            if sleeping > 0 { pthread_cond_broadcast(wake) }
            pthread_mutex_unlock(mutex)
        }

        func workerLoop(_ index: Int) {
            var seen = 0
            let clock = ContinuousClock()
            while true {
                // Spin while jobs keep coming (a decode step issues one every few tens of
                // microseconds, and a futex wake-up costs about as much); sleep after `spinLimit` idle.
                var spins = 0
                var idleSince = clock.now
                while generation.load(ordering: .acquiring) == seen {
                    spins += 1
                    if spins & 1023 != 0 { continue }
                    if spins == 1024 { idleSince = clock.now }
                    if clock.now - idleSince < WorkerPool.spinLimit { continue }
                    pthread_mutex_lock(mutex)
                    sleeping += 1
                    while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(wake, mutex) }
                    sleeping -= 1
                    pthread_mutex_unlock(mutex)
                }
                seen = generation.load(ordering: .acquiring)
                if stopping.load(ordering: .acquiring) { return }
                job?(index)
                pending.subtract(1, ordering: .releasing)
            }
        }
    }

    private final class Start { let shared: Shared; let index: Int; init(_ s: Shared, _ i: Int) { shared = s; index = i } }

    /// - Parameter threads: total threads, the caller's included.
    public init(threads: Int) {
        threadCount = max(1, threads)
        shared = Shared()
        for worker in 1..<threadCount {
            let start = Unmanaged.passRetained(Start(shared, worker)).toOpaque()
            var thread = pthread_t()
            pthread_create(&thread, nil, { raw in
                let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
                start.shared.workerLoop(start.index)
                return nil
            }, start)
            pthread_detach(thread)
        }
    }

    deinit {
        shared.stopping.store(true, ordering: .releasing)
        shared.signal()
    }

    /// Runs `body(worker)` once on each of `threadCount` threads (worker 0 is the caller) and
    /// returns when all have finished.
    public func run(_ body: (Int) -> Void) {
        guard threadCount > 1 else { body(0); return }
        withoutActuallyEscaping(body) { body in
            shared.job = body
            shared.pending.store(threadCount - 1, ordering: .releasing)
            shared.signal()
            body(0)
            while shared.pending.load(ordering: .acquiring) > 0 {}
            shared.job = nil
        }
    }

    /// Splits `0..<count` into one contiguous chunk per thread (each at least `minimumPerThread`
    /// long) and runs `body` on each chunk.
    public func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(threadCount, max(1, count / max(1, minimumPerThread)))
        guard chunks > 1 else { if count > 0 { body(0..<count) }; return }
        run { worker in
            guard worker < chunks else { return }
            let range = count * worker / chunks ..< count * (worker + 1) / chunks
            if !range.isEmpty { body(range) }
        }
    }

    /// Runs `body(i)` for every i in `0..<iterations` on Dispatch's threads and returns when all
    /// have run: for work outside a pool's hot path (preparing weights, the reference backend).
    public static func concurrently(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let job = Job(body: body)
            DispatchQueue.concurrentPerform(iterations: iterations) { job.body($0) }
        }
    }

    /// A non-escaping body handed to Dispatch's threads. Safe to share: `concurrently` blocks until
    /// every iteration has run, and callers give each iteration its own outputs.
    private struct Job: @unchecked Sendable {
        let body: (Int) -> Void
    }
}
