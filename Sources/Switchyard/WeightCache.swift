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

    /// The weights `ids` of `graph` in `backend`'s layout, by value, preparing those not ready yet.
    public func weights(_ ids: [ValueID], of graph: ForwardGraph, for backend: any Backend) throws -> [ValueID: any BackendTensor] {
        var found: [ValueID: any BackendTensor] = Dictionary(minimumCapacity: ids.count)
        var missing: [ValueID] = []
        let backendName = backend.name
        prepared.withLock { prepared in
            let ready = prepared[backendName] ?? [:]
            for id in ids {
                if let t = ready[graph[id].name] { found[id] = t } else { missing.append(id) }
            }
        }
        for id in missing { found[id] = try weight(graph[id].name, for: backend) }
        return found
    }

    /// Names of the weights `backend` has prepared so far.
    public func preparedNames(for backend: String) -> [String] {
        prepared.withLock { Array(($0[backend] ?? [:]).keys) }
    }
}
