/// State that persists across the passes of one sequence: the KV cache tensors, by value name,
/// each in the storage of the backend that last wrote it, and counters of what the passes did.
/// Sendable: one sequence's; the executor runs one pass of it at a time (the session that owns it serialises them), and only that pass touches it.
public final class SessionState: @unchecked Sendable {
    var tensors: [String: (domain: String, backend: any Backend, tensor: any BackendTensor)] = [:]
    /// Transfers performed so far, and their bytes.
    public internal(set) var transferCount = 0
    public internal(set) var transferBytes = 0
    /// Segments executed so far.
    public internal(set) var segmentCount = 0
    /// The host memory every pass's activations live in.
    let arena = HostArena()
    /// Bytes of host memory held for activations (sized for the latest pass's plan).
    public var activationBytes: Int { arena.capacity }

    public init() {}

    /// Forgets the cache (a new sequence).
    public func reset() { tensors = [:] }
}
