import Synchronization

/// Time spent per op kind and per backend, summed over the passes that recorded into it.
public final class OpProfile: Sendable {
    private let totals = Mutex<[Key: Duration]>([:])

    public struct Key: Hashable, Sendable {
        public let kind: OpKind
        public let backend: String
    }

    public init() {}

    /// Adds the time since `start` to `kind` on `backend`.
    public func record(_ kind: OpKind, backend: String, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        totals.withLock { $0[Key(kind: kind, backend: backend), default: .zero] += elapsed }
    }

    /// Adds `seconds` to `kind` on `backend` (a GPU's timestamps, read after the fact).
    public func add(_ kind: OpKind, backend: String, seconds: Double) {
        totals.withLock { $0[Key(kind: kind, backend: backend), default: .zero] += .nanoseconds(Int64(seconds * 1e9)) }
    }

    /// Seconds per (op kind, backend), largest first.
    public var seconds: [(key: Key, seconds: Double)] {
        totals.withLock { $0 }.map { ($0.key, Double($0.value.components.seconds) + Double($0.value.components.attoseconds) * 1e-18) }
            .sorted { $0.1 > $1.1 }
    }
}
