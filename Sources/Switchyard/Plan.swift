import Synchronization

/// A tensor copied from one backend's storage to another's before a segment runs.
public struct Transfer: Sendable, Equatable {
    public let value: ValueID
    public let name: String
    public let from: String
    public let to: String
    public let bytes: Int
}

/// A run of consecutive ops on one backend, executed in one `Backend.execute` call.
public struct PlanSegment: Sendable {
    public let index: Int
    public let backend: String
    public let unit: ComputeUnit
    public let nodes: [OpNode]
    /// Activations and state read here but produced before the segment (weights not included).
    public let inputs: [ValueID]
    /// Values written here that later segments or the caller read.
    public let outputs: [ValueID]
    /// Copies made just before the segment runs.
    public let transfersIn: [Transfer]
    /// The weights the segment's ops read, each once, in first-use order.
    public let weights: [ValueID]
    /// Those weights as its backend prepared them, found once for every pass of the plan.
    let prepared = PreparedWeights()
}

/// A segment's prepared weights by value, filled on the segment's first pass (a decode step would
/// otherwise look hundreds of weights up by name every token), for the weight cache they came from.
final class PreparedWeights: Sendable {
    private let tensors = Mutex<(cache: WeightCache, tensors: [ValueID: any BackendTensor])?>(nil)

    func get(from cache: WeightCache, _ make: () throws -> [ValueID: any BackendTensor]) rethrows -> [ValueID: any BackendTensor] {
        if let known = tensors.withLock({ $0 }), known.cache === cache { return known.tensors }
        let made = try make()
        tensors.withLock { $0 = (cache, made) }
        return made
    }
}

/// A graph with every op assigned to a backend, cut into segments where the backend changes, with
/// a transfer wherever a tensor crosses storage (compute units). Plans are data: printed by
/// `switchyard plan`, counted, and cached per graph shape.
public struct Plan: Sendable {
    public let graph: ForwardGraph
    public let policy: RoutingPolicy
    /// The backends the plan uses, by name.
    public let backends: [String: any Backend]
    /// The backend name of each node, by node index.
    public let assignment: [String]
    public let segments: [PlanSegment]
    /// Where each state value (KV cache) lives at the start of a pass: its first writer's backend.
    public let stateHomes: [ValueID: String]
    /// The index of the last node that reads each value (for freeing activations early).
    public let lastUse: [ValueID: Int]
    /// Where the activations of host-memory backends live in the session's block of host memory.
    public let hostMemory: HostMemoryPlan

    public var transfers: [Transfer] { segments.flatMap(\.transfersIn) }
    public var transferBytes: Int { transfers.reduce(0) { $0 + $1.bytes } }

    /// How many ops each backend runs.
    public var opsPerBackend: [String: Int] {
        assignment.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }
}

/// The storage a backend's tensors live in: every `.cpu` backend shares host memory; any other
/// backend has its own.
func storageDomain(of backend: any Backend) -> String {
    backend.unit == .cpu ? hostDomain : "\(backend.unit.rawValue):\(backend.name)"
}

/// The storage domain of host memory.
let hostDomain = "cpu"
