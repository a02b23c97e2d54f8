/// Identifies one value (tensor) within a `ForwardGraph`.
public struct ValueID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
    public var description: String { "%\(index)" }
}

/// What a value is, which decides who creates it and how long it lives.
public enum ValueKind: Sendable, Equatable {
    /// A model weight in the given format; each backend prepares it once.
    case weight(WeightFormat)
    /// Produced by an op during the pass and dropped after its last use.
    case activation
    /// Persists across passes (the KV cache); allocated once per session by the backend that writes it.
    case state

    public var isWeight: Bool { if case .weight = self { return true } else { return false } }
}

/// A value's name, shape and kind. Shapes are outermost first.
public struct ValueInfo: Sendable {
    public let id: ValueID
    public let name: String
    public let shape: [Int]
    public let kind: ValueKind
    public var elementCount: Int { shape.reduce(1, *) }
}

/// One op of the graph: what it computes, what it reads and what it writes.
public struct OpNode: Sendable {
    /// Position in the graph's node list.
    public let index: Int
    /// A readable name, e.g. "blk.3.attn_q".
    public let name: String
    public let op: Op
    public let inputs: [ValueID]
    public let outputs: [ValueID]
    public var kind: OpKind { op.kind }
}

/// One forward pass (a prefill of n tokens, or a decode of one) as a list of ops in execution order
/// over named values. A graph depends only on shapes (the token count and which logits are kept);
/// token ids and positions come with each run (`PassContext`), so a plan made for a graph serves
/// every pass of that shape.
public struct ForwardGraph: Sendable {
    public private(set) var values: [ValueInfo] = []
    public private(set) var nodes: [OpNode] = []
    /// Values the caller reads after the pass (the logits; optionally hidden states).
    public private(set) var outputs: [ValueID] = []
    /// Tokens in the pass.
    public let tokenCount: Int
    /// The largest magnitude each activation reached on a calibration text, by value name (names
    /// are the same in every pass shape); empty unless the engine calibrated for a backend that
    /// wants it (`Backend.wantsActivationMagnitudes`).
    public var largestMagnitudes: [String: Float] = [:]

    public init(tokenCount: Int) { self.tokenCount = tokenCount }

    public subscript(id: ValueID) -> ValueInfo { values[id.index] }

    /// The calibrated largest magnitude of value `id`, if measured.
    public func largestMagnitude(_ id: ValueID) -> Float? { largestMagnitudes[self[id].name] }

    /// Declares a weight value (its bytes come from the model).
    public mutating func weight(_ tensor: WeightTensor) -> ValueID {
        if let existing = values.first(where: { $0.name == tensor.name && $0.kind == .weight(tensor.format) }) { return existing.id }
        return add(tensor.name, tensor.shape, .weight(tensor.format))
    }

    /// Declares a persistent state value (a KV cache).
    public mutating func state(_ name: String, shape: [Int]) -> ValueID { add(name, shape, .state) }

    /// Appends an op producing one new activation of `shape`.
    @discardableResult
    public mutating func op(_ name: String, _ op: Op, _ inputs: [ValueID], shape: [Int]) -> ValueID {
        let out = add(name, shape, .activation)
        nodes.append(OpNode(index: nodes.count, name: name, op: op, inputs: inputs, outputs: [out]))
        return out
    }

    /// Appends an op that writes existing values in place (kvWrite into the cache).
    public mutating func op(_ name: String, _ op: Op, _ inputs: [ValueID], writing outputs: [ValueID]) {
        nodes.append(OpNode(index: nodes.count, name: name, op: op, inputs: inputs, outputs: outputs))
    }

    /// Marks every activation as an output, so a pass hands all of them back (for cross-checks).
    public mutating func markAllActivations() {
        for v in values where v.kind == .activation { markOutput(v.id) }
    }

    /// Marks a value as read by the caller after the pass.
    public mutating func markOutput(_ id: ValueID) { if !outputs.contains(id) { outputs.append(id) } }

    private mutating func add(_ name: String, _ shape: [Int], _ kind: ValueKind) -> ValueID {
        let id = ValueID(values.count)
        values.append(ValueInfo(id: id, name: name, shape: shape, kind: kind))
        return id
    }
}

/// What a pass needs at run time besides its graph: the token ids and where they sit in the sequence.
public struct PassContext: Sendable {
    /// The pass's token ids, one per graph row.
    public let tokens: [Int32]
    /// Position of the first token in the sequence (the number of tokens already in the KV cache).
    public let startPosition: Int
    public init(tokens: [Int32], startPosition: Int) { self.tokens = tokens; self.startPosition = startPosition }
    /// Position of row i.
    @inlinable public func position(_ row: Int) -> Int { startPosition + row }
}
