import CVulkan
import Switchyard
#if canImport(Glibc)
import Glibc
#endif

/// A push-constant value; every member of a kernel's push-constant block is 4 bytes.
enum PushValue {
    case u(Int), i(Int), f(Float)

    var word: UInt32 {
        switch self {
        case .u(let v): return UInt32(truncatingIfNeeded: v)
        case .i(let v): return UInt32(bitPattern: Int32(truncatingIfNeeded: v))
        case .f(let v): return v.bitPattern
        }
    }
}

/// What a kernel encodes into: one segment's list of dispatches. It hands kernels their inputs and
/// outputs as GPU tensors and owns the pass buffer (start position, token ids, RoPE tables: what
/// changes from pass to pass, so the dispatches themselves depend only on the pass shape and a
/// recorded command buffer can be replayed; see `CommandRecording`).
final class VulkanPass {
    let graph: ForwardGraph
    let context: PassContext
    let device: VulkanDevice
    private let io: SegmentIO
    private let layout: ActivationLayout
    private let arena: GPUBuffer?
    private let readback: (Int, String) throws -> BufferSlice
    /// Binding 0 of every dispatch.
    let passBuffer: BufferSlice
    private let ropeOffsets: [RopeKey: Int]
    /// What the dispatches being added count towards in a profile (the node's op kind).
    var currentLabel = ""
    /// The segment's dispatches, in order, and the buffers each binds.
    private(set) var commands: [DispatchCommand] = []
    private(set) var slices: [[BufferSlice]] = []
    /// Every buffer the recorded commands use, held until the submit has finished (an input's last
    /// reader may drop it from the value store while its dispatch is still only recorded).
    private var inUse: [ObjectIdentifier: GPUBuffer] = [:]

    struct RopeKey: Hashable {
        let dims: Int, base: Float, scale: Float
        init(_ p: RopeParameters) { dims = p.rotatedDims; base = p.base; scale = p.frequencyScale }
    }

    init(device: VulkanDevice, io: SegmentIO, layout: ActivationLayout, arena: GPUBuffer?, passBuffer: GPUBuffer,
         readback: @escaping (Int, String) throws -> BufferSlice) throws {
        self.device = device; self.io = io; self.layout = layout; self.arena = arena
        self.readback = readback
        graph = io.graph
        context = io.pass
        // The pass buffer: [start, n, tokens…, RoPE cos/sin tables…], written before the submit.
        var words: [UInt32] = [UInt32(context.startPosition), UInt32(context.tokens.count)]
        words += context.tokens.map { UInt32(bitPattern: $0) }
        var offsets: [RopeKey: Int] = [:]
        for node in io.segment.nodes {
            guard case .rope(let p) = node.op, offsets[RopeKey(p)] == nil else { continue }
            offsets[RopeKey(p)] = words.count
            words += Self.ropeTable(p, start: context.startPosition, rows: graph[node.inputs[0]].shape[0])
        }
        ropeOffsets = offsets
        guard words.count * 4 <= passBuffer.byteCount else { throw VulkanError.unsupported("pass buffer too small") }
        words.withUnsafeBytes { passBuffer.contents.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        self.passBuffer = BufferSlice(buffer: passBuffer, offset: 0, byteCount: words.count * 4)
    }

    /// Bytes the pass buffer needs for `segment` of `graph`.
    static func passBufferBytes(_ segment: PlanSegment, _ graph: ForwardGraph) -> Int {
        var words = 2 + graph.tokenCount
        var seen = Set<RopeKey>()
        for node in segment.nodes {
            if case .rope(let p) = node.op, seen.insert(RopeKey(p)).inserted { words += graph[node.inputs[0]].shape[0] * p.rotatedDims }
        }
        return words * 4
    }

    /// cos/sin of (start + r) · scale · base^(−2i/dims) for each row r and pair i, in Double as the
    /// reference computes them (the GPU's own sin/cos are allowed errors of 2⁻¹¹), as f32 bits.
    static func ropeTable(_ p: RopeParameters, start: Int, rows: Int) -> [UInt32] {
        let half = p.rotatedDims / 2
        var table = [UInt32](repeating: 0, count: rows * half * 2)
        for r in 0..<rows {
            let position = Double(start + r) * Double(p.frequencyScale)
            for i in 0..<half {
                let theta = position * pow(Double(p.base), -2 * Double(i) / Double(p.rotatedDims))
                table[(r * half + i) * 2] = Float(cos(theta)).bitPattern
                table[(r * half + i) * 2 + 1] = Float(sin(theta)).bitPattern
            }
        }
        return table
    }

    /// Word offset in the pass buffer of the cos/sin table for `p` (see `ropeTable`).
    func ropeTable(_ p: RopeParameters) -> Int { ropeOffsets[RopeKey(p)]! }

    func isWeight(_ id: ValueID) -> Bool { graph[id].kind.isWeight }

    /// Whether `node` is the only reader of `id` and the caller does not read it after the pass
    /// (so a fusion may skip writing it).
    func isReadOnlyBy(_ id: ValueID, _ node: OpNode) -> Bool {
        !layout.graphOutputs.contains(id) && layout.readers[id] == 1 && node.inputs.contains(id)
    }

    /// An activation or KV-cache input.
    func tensor(_ id: ValueID) throws -> VulkanTensor {
        guard let t = try io.tensor(id) as? VulkanTensor else { throw ExecutionError.foreignTensor(backend: "vulkan") }
        return t
    }

    /// A prepared weight input.
    func weight(_ id: ValueID) throws -> VulkanWeight {
        guard let w = try io.tensor(id) as? VulkanWeight else { throw ExecutionError.foreignTensor(backend: "vulkan") }
        return w
    }

    /// The output `id` of the node being encoded, at its place in the segment's activation memory
    /// (or in host-readable memory when the caller reads it after the pass).
    func output(_ id: ValueID) throws -> VulkanTensor {
        let info = graph[id]
        let bytes = info.elementCount * 4
        let slice: BufferSlice
        if let offset = layout.offsets[id], let arena {
            slice = BufferSlice(buffer: arena, offset: offset, byteCount: bytes)
        } else {
            slice = try readback(bytes, info.name)
        }
        let t = VulkanTensor(shape: info.shape, slice: slice)
        io.store(id, t)
        return t
    }

    /// Re-stores a tensor written in place (a KV cache).
    func store(_ id: ValueID, _ t: VulkanTensor) { io.store(id, t) }

    /// Adds one dispatch of kernel `shader`: binding 0 is the pass buffer, then `reads`, then
    /// `writes`; `push` fills the push-constant block in order. The backend records (or replays)
    /// the segment's dispatches once every node is encoded.
    func dispatch(_ shader: String, reads: [BufferSlice], writes: [BufferSlice], push: [PushValue], groups: (Int, Int, Int)) throws {
        let bound = [passBuffer] + reads + writes
        precondition(bound.count <= VulkanDevice.bindingCount, "\(shader): too many bindings")
        precondition(push.count * 4 <= VulkanDevice.pushConstantBytes, "\(shader): push constants too large")
        guard groups.0 > 0, groups.1 > 0, groups.2 > 0 else { return }
        guard groups.0 <= 65_535, groups.1 <= 65_535, groups.2 <= 65_535 else {
            throw VulkanError.unsupported("\(shader): \(groups) workgroups exceed the dispatch limit")
        }
        for s in bound { inUse[ObjectIdentifier(s.buffer)] = s.buffer }
        commands.append(DispatchCommand(
            shader: shader, bindings: bound.map { .init(buffer: $0.buffer.serial, offset: $0.offset, byteCount: $0.byteCount) },
            push: push.map(\.word), groups: [groups.0, groups.1, groups.2], reads: reads.count, label: currentLabel))
        slices.append(bound)
    }
}
