/// State that persists across the passes of one sequence: the KV cache tensors, by value name,
/// each in the storage of the backend that last wrote it, and counters of what the passes did.
public final class SessionState: @unchecked Sendable {
    var tensors: [String: (domain: String, backend: any Backend, tensor: any BackendTensor)] = [:]
    /// Transfers performed so far, and their bytes.
    public internal(set) var transferCount = 0
    public internal(set) var transferBytes = 0
    /// Segments executed so far.
    public internal(set) var segmentCount = 0

    public init() {}

    /// Forgets the cache (a new sequence).
    public func reset() { tensors = [:] }
}
