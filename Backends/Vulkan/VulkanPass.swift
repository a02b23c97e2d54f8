import CVulkan
import Switchyard

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
    /// What `SegmentReplay` needs to resubmit the segment without encoding it: the values read
    /// from outside the segment with where they were, and the values stored, in order.
    private(set) var outsideReads: [(id: ValueID, residency: Residency)] = []
    private(set) var stored: [ValueID] = []
    private var seen: Set<ValueID> = []
    /// Position-dependent checks to run again on replay (`require`).
    private(set) var checks: [(PassContext) throws -> Void] = []

    struct RopeKey: Hashable {
        let dims: Int, base: Float, scale: Float
        init(_ p: RopeParameters) { dims = p.rotatedDims; base = p.base; scale = p.frequencyScale }
    }

    /// What the pass buffer holds for one pass of a segment: [start, n, token ids…, a RoPE cos/sin
    /// table (`RopeTable`) per distinct rope of the segment…], and where each table starts.
    struct PassWords {
        let words: [UInt32]
        let ropeOffsets: [RopeKey: Int]

        init(_ segment: PlanSegment, _ graph: ForwardGraph, _ context: PassContext) {
            var words: [UInt32] = [UInt32(context.startPosition), UInt32(context.tokens.count)]
            words += context.tokens.map { UInt32(bitPattern: $0) }
            var offsets: [RopeKey: Int] = [:]
            for node in segment.nodes {
                guard case .rope(let p) = node.op, offsets[RopeKey(p)] == nil else { continue }
                offsets[RopeKey(p)] = words.count
                words += RopeTable.values(start: context.startPosition, rows: graph[node.inputs[0]].shape[0], dims: p.rotatedDims,
                                          base: p.base, scale: p.frequencyScale).map(\.bitPattern)
            }
            self.words = words
            ropeOffsets = offsets
        }

        /// Writes the words at the start of `buffer` (at least as large) and returns their slice.
        func write(to buffer: GPUBuffer) -> BufferSlice {
            words.withUnsafeBytes { buffer.contents.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            return BufferSlice(buffer: buffer, offset: 0, byteCount: words.count * 4)
        }
    }

    /// - Parameter passBuffer: at least `passWords.words.count` words; written here, before the submit.
    init(device: VulkanDevice, io: SegmentIO, layout: ActivationLayout, arena: GPUBuffer?, passBuffer: GPUBuffer,
         passWords: PassWords, readback: @escaping (Int, String) throws -> BufferSlice) {
        self.device = device; self.io = io; self.layout = layout; self.arena = arena
        self.readback = readback
        graph = io.graph
        context = io.pass
        ropeOffsets = passWords.ropeOffsets
        self.passBuffer = passWords.write(to: passBuffer)
    }

    /// Word offset in the pass buffer of the cos/sin table for `p` (see `PassWords`).
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
        noteRead(id, t)
        return t
    }

    /// A prepared weight input.
    func weight(_ id: ValueID) throws -> VulkanWeight {
        guard let w = try io.tensor(id) as? VulkanWeight else { throw ExecutionError.foreignTensor(backend: "vulkan") }
        noteRead(id, w)
        return w
    }

    private func noteRead(_ id: ValueID, _ t: any BackendTensor) {
        if seen.insert(id).inserted, let residency = Residency(t) { outsideReads.append((id, residency)) }
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
        store(id, t)
        return t
    }

    /// The segment's scratch memory (`VulkanKernel.scratchBytes`): `bytes` from its start.
    func scratch(_ bytes: Int) -> BufferSlice {
        precondition(bytes <= layout.scratchBytes && arena != nil, "scratch of \(bytes) bytes not reserved")
        return BufferSlice(buffer: arena!, offset: layout.scratchOffset, byteCount: bytes)
    }

    /// Runs `check` on this pass's positions now and on every pass that replays the recording
    /// (a check that depends on positions, which change while the dispatches stay the same).
    func require(_ check: @escaping (PassContext) throws -> Void) throws {
        try check(context)
        checks.append(check)
    }

    /// Stores `t` as value `id` (an output, or a KV cache written in place).
    func store(_ id: ValueID, _ t: VulkanTensor) {
        seen.insert(id)
        stored.append(id)
        io.store(id, t)
    }

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
