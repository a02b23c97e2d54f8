import Synchronization

/// Weights prepared by each backend, prepared once and kept for the life of the loaded model, so
/// every session and every plan shares them.
public final class WeightCache: Sendable {
    private let source: @Sendable (String) -> WeightTensor?
    private let prepared = Mutex<[String: [String: any BackendTensor]]>([:])

    /// - Parameter source: looks a weight up by name in the model.
    public init(source: @escaping @Sendable (String) -> WeightTensor?) { self.source = source }

    /// The weight `name` in `backend`'s layout, preparing it on first use.
    public func weight(_ name: String, for backend: any Backend) throws -> any BackendTensor {
        if let ready = prepared.withLock({ $0[backend.name]?[name] }) { return ready }
        guard let raw = source(name) else { throw ExecutionError.missingWeight(name) }
        let tensor = try backend.prepare(raw)
        prepared.withLock { $0[backend.name, default: [:]][name] = tensor }
        return tensor
    }

    /// Names of the weights `backend` has prepared so far.
    public func preparedNames(for backend: String) -> [String] {
        prepared.withLock { Array(($0[backend] ?? [:]).keys) }
    }
}
