/// A tensor whose storage a backend owns: host memory, a GPU buffer, an accelerator's buffer.
/// Nothing above a backend reads its bytes; only the owning backend can (`Backend.download`).
public protocol BackendTensor: AnyObject, Sendable {
    /// Outermost first.
    var shape: [Int] { get }
}

/// A backend's answer to "do you run this op?".
public enum OpSupport: Sendable, Equatable {
    case supported
    /// Not supported, with the reason in a few words ("Q6_K weights", "dynamic shapes").
    case unsupported(String)

    public var isSupported: Bool { self == .supported }
}

/// A compute backend. It answers per op whether it runs it and why not, prepares each weight once
/// into its own layout, and runs whole segments of consecutive ops in one call, so a GPU can record
/// one command buffer and an accelerator compile one program per segment shape.
///
/// Backends on the `.cpu` unit keep activations and state in `HostTensor`s, so CPU backends share
/// them without copies; any other unit keeps its own storage and moves data through
/// `upload`/`download`.
public protocol Backend: AnyObject, Sendable {
    /// Short name used on the command line: "reference", "blas", "vulkan", "accelerator".
    var name: String { get }
    var unit: ComputeUnit { get }
    /// Whether this backend runs `node` of `graph` (given its kind, parameters, input formats and shapes).
    func support(for node: OpNode, in graph: ForwardGraph) -> OpSupport
    /// Turns a model weight into this backend's layout. Called once per weight per backend.
    func prepare(_ weight: WeightTensor) throws -> any BackendTensor
    /// Allocates a persistent state value (a KV cache), zero-filled.
    func makeState(_ info: ValueInfo) throws -> any BackendTensor
    /// Copies a host tensor into this backend's storage.
    func upload(_ tensor: HostTensor) throws -> any BackendTensor
    /// Copies one of this backend's tensors to host memory.
    func download(_ tensor: any BackendTensor) throws -> HostTensor
    /// Runs the ops of `segment`, reading inputs from and writing outputs to `io`.
    func execute(_ segment: PlanSegment, io: SegmentIO) throws
    /// False for a backend on an emulated unit (a software renderer standing in for a GPU): correct,
    /// but `auto` never picks it.
    var runsOnRealHardware: Bool { get }
    /// Running totals of what the backend did, by name (a GPU's submits, dispatches, barriers,
    /// bytes moved to and from the host; its device memory), for `bench`. Empty by default.
    var activity: [String: Int] { get }
    /// The programs this backend compiles `segment` into, for `switchyard plan`: a fixed-function
    /// unit runs a segment as programs compiled for exact shapes. Empty (the default) for a
    /// backend that runs ops one by one.
    func programs(for segment: PlanSegment, in graph: ForwardGraph) -> [CompiledProgram]
    /// True for a backend whose number format is narrower than f32 (an fp16 unit): the engine then
    /// measures every activation's largest magnitude on a calibration text before planning
    /// (`ForwardGraph.largestMagnitudes`), so `support(for:in:)` can keep ops that overflow the
    /// format off the unit. False by default.
    var wantsActivationMagnitudes: Bool { get }
}

/// One program a backend compiles part of a segment into: its ops, the token rows it is compiled
/// for, how many times one pass invokes it, and what it costs on the unit's model.
public struct CompiledProgram: Sendable, Equatable {
    /// A readable name ("blk.3.attn_q … blk.3.attn (AR-1)").
    public let name: String
    /// Indices of the graph nodes it runs.
    public let nodes: [Int]
    /// Rows (tokens) the program is compiled for: 1 for decode, a fixed chunk for prefill.
    public let tokens: Int
    /// Invocations per pass (a prefill of n tokens runs ⌈n / tokens⌉ chunks, the last padded).
    public let invocations: Int
    /// Weight bytes the program reads per pass.
    public let weightBytes: Int
    /// Modeled time of one pass's invocations on the unit, in seconds.
    public let modeledSeconds: Double

    public init(name: String, nodes: [Int], tokens: Int, invocations: Int, weightBytes: Int, modeledSeconds: Double) {
        self.name = name; self.nodes = nodes; self.tokens = tokens; self.invocations = invocations
        self.weightBytes = weightBytes; self.modeledSeconds = modeledSeconds
    }
}

extension Backend {
    public var runsOnRealHardware: Bool { true }
    public var activity: [String: Int] { [:] }
    public func programs(for segment: PlanSegment, in graph: ForwardGraph) -> [CompiledProgram] { [] }
    public var wantsActivationMagnitudes: Bool { false }
    /// Host-memory backends need no copies to take in or give out host tensors.
    public func upload(_ tensor: HostTensor) throws -> any BackendTensor { tensor }
    public func download(_ tensor: any BackendTensor) throws -> HostTensor {
        guard let host = tensor as? HostTensor else { throw ExecutionError.foreignTensor(backend: name) }
        return host
    }
    public func makeState(_ info: ValueInfo) throws -> any BackendTensor { HostTensor(shape: info.shape) }
}
