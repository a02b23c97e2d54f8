/// Why a plan could not be made or run.
public enum ExecutionError: Error, Sendable, CustomStringConvertible {
    /// No backend of the policy runs this op; each backend's reason is listed.
    case unsupportedOp(node: String, kind: OpKind, reasons: [(backend: String, reason: String)])
    /// The policy names no backend at all for an op kind.
    case emptyPolicy(OpKind)
    /// A backend was handed a tensor from storage it cannot read.
    case foreignTensor(backend: String)
    /// A value was read before any op produced it (a bug in a graph or a backend).
    case missingValue(String)
    /// The model lacks a weight that the graph refers to.
    case missingWeight(String)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(token: Int32, vocabularySize: Int)
    /// A pass would run past the KV cache's capacity.
    case contextOverflow(needed: Int, capacity: Int)
    /// A backend failed while running an op.
    case backendFailure(backend: String, node: String, reason: String)
    /// Host memory for a pass's activations could not be allocated.
    case outOfMemory(bytes: Int)

    public var description: String {
        switch self {
        case .unsupportedOp(let node, let kind, let reasons):
            let why = reasons.map { "\($0.backend): \($0.reason)" }.joined(separator: "; ")
            return "no backend in the policy runs op '\(node)' (\(kind.rawValue)): \(why)"
        case .emptyPolicy(let kind):
            return "the policy names no backend for \(kind.rawValue) ops"
        case .foreignTensor(let backend):
            return "backend '\(backend)' was handed a tensor it cannot read"
        case .missingValue(let name):
            return "value '\(name)' was read before it was produced"
        case .missingWeight(let name):
            return "the model has no weight '\(name)'"
        case .tokenOutOfRange(let token, let size):
            return "token id \(token) is outside the vocabulary of \(size) tokens"
        case .contextOverflow(let needed, let capacity):
            return "the sequence needs \(needed) positions but the context holds \(capacity)"
        case .backendFailure(let backend, let node, let reason):
            return "backend '\(backend)' failed on op '\(node)': \(reason)"
        case .outOfMemory(let bytes):
            return "could not allocate \(bytes) bytes of host memory for the pass's activations"
        }
    }
}
