import CVulkan
import Switchyard
import Synchronization

/// The GPU backend: Vulkan compute. Weights are uploaded once in their GGUF block formats (the
/// kernels decode them), activations and KV caches stay in GPU memory, and a whole segment is
/// recorded into one command buffer and submitted once: only the pass buffer (token ids, start
/// position, RoPE tables) goes in and the graph's outputs (logits) come out. Runs on any Vulkan
/// 1.2 device: a real GPU, or lavapipe (Mesa's CPU implementation) in CI.
/// Sendable: every entry point that touches the device or its caches holds `lock`.
public final class VulkanBackend: Backend, @unchecked Sendable {
    public let name = "vulkan"
    public let unit = ComputeUnit.gpu
    /// The device this backend runs on.
    public let deviceDescription: VulkanDeviceDescription
    let device: VulkanDevice
    private let lock = Mutex<Void>(())
    /// Activation layouts per segment shape, with the value shapes they were made for: two graphs
    /// alike in structure but not in widths (two models on one backend) must not share one.
    private var layouts: [String: (values: [ValueInfo], layout: ActivationLayout)] = [:]
    private var arenas: [GPUBuffer] = []
    private var readbacks: [GPUBuffer] = []
    private var passBuffer: GPUBuffer?
    /// The latest command recording of each segment shape.
    private var recordings: [String: CommandRecording] = [:]
    /// What each latest recording needs to be submitted again without encoding (`SegmentReplay`).
    private var replays: [String: SegmentReplay] = [:]
    private let dummy: GPUBuffer
    /// Counters over every segment this backend ran.
    public private(set) var statistics = Statistics()

    /// What the GPU did, summed over segments.
    public struct Statistics: Sendable {
        public var submits = 0
        /// Segments whose nodes the host encoded (the rest were replayed as they were: `SegmentReplay`).
        public var encodes = 0
        /// Submits that replayed an earlier recording instead of recording anew.
        public var replays = 0
        public var dispatches = 0
        public var barriers = 0
        /// Bytes the host wrote for passes (pass buffers, uploads) and read back (downloads).
        public var bytesToDevice = 0
        public var bytesFromDevice = 0
        /// Microseconds the host spent in `execute` recording or matching dispatches, and waiting
        /// for the GPU to finish a submit.
        public var hostMicroseconds = 0
        public var waitMicroseconds = 0
        /// Of the wait, microseconds from the start of a submit's first dispatch to the end of its
        /// last, by the GPU's timestamps (where it has them).
        public var gpuMicroseconds = 0
    }

    /// Every op this backend runs, one kernel per op kind (one line per kernel).
    static let kernels: [OpKind: any VulkanKernel] = [
        .embed: EmbedKernel(),
        .rmsNorm: RMSNormKernel(),
        .matmul: MatmulKernel(),
        .rope: RopeKernel(),
        .attention: AttentionKernel(),
        .kvWrite: KVWriteKernel(),
        .add: ElementwiseKernel(kind: .add),
        .mul: ElementwiseKernel(kind: .mul),
        .scale: UnaryKernel(kind: .scale),
        .silu: UnaryKernel(kind: .silu),
        .gelu: UnaryKernel(kind: .gelu),
        .softcap: UnaryKernel(kind: .softcap),
        .swiglu: GatedKernel(kind: .swiglu),
        .geglu: GatedKernel(kind: .geglu),
        .softmax: SoftmaxKernel(),
        .rows: RowsKernel(),
    ]

    /// Runs of consecutive ops that one kernel does at once, tried in order at every node (one
    /// line per fusion). Each is checked end to end against the reference (VulkanEndToEndTests).
    static let fusions: [any VulkanFusion] = [
        NormAddNormFusion(),
        AddRMSNormFusion(),
        HeadNormRopeFusion(),
        RopeKVWriteFusion(),
        GatedMatvecFusion(),
    ]

    /// - Parameter deviceIndex: the device to run on (`switchyard devices` lists them); nil picks
    ///   the first real GPU, else the first device (a software renderer).
    /// - Throws: `VulkanError.unavailable` without a loader or a device; `.noSuchDevice` for a bad index.
    public init(deviceIndex: Int? = nil) throws {
        let instance = try VulkanInstance.get()
        let devices = instance.devices
        let chosen: VulkanDeviceDescription
        if let deviceIndex {
            guard devices.indices.contains(deviceIndex) else { throw VulkanError.noSuchDevice(index: deviceIndex, count: devices.count) }
            chosen = devices[deviceIndex]
        } else {
            chosen = devices.first { !$0.isSoftwareRenderer } ?? devices[0]
        }
        deviceDescription = chosen
        device = try VulkanDevice(chosen)
        dummy = try device.makeBuffer(16, what: "a placeholder binding")
    }

    /// The registration the command-line tool lists.
    public static let registration = BackendRegistration(
        name: "vulkan", unit: .gpu, summary: "Vulkan compute on the GPU (lavapipe where there is none), weights in GGUF blocks"
    ) { try VulkanBackend(deviceIndex: $0.device) }

    /// A software renderer is correct but no GPU: `auto` never picks it.
    public var runsOnRealHardware: Bool { !deviceDescription.isSoftwareRenderer }

    public var activity: [String: Int] {
        let s = lock.withLock { _ in statistics }
        return ["submits": s.submits, "encodes": s.encodes, "replays": s.replays, "dispatches": s.dispatches, "barriers": s.barriers,
                "bytes to device": s.bytesToDevice, "bytes from device": s.bytesFromDevice, "device memory bytes": deviceBytes,
                "host µs": s.hostMicroseconds, "wait µs": s.waitMicroseconds, "gpu µs": s.gpuMicroseconds]
    }

    /// Bytes of GPU memory held now (weights, caches, activation blocks).
    public var deviceBytes: Int { device.allocatedBytes.load(ordering: .relaxed) }

    public func support(for node: OpNode, in graph: ForwardGraph) -> OpSupport {
        guard let kernel = Self.kernels[node.kind] else { return .unsupported("no Vulkan kernel for \(node.kind.rawValue)") }
        if let problem = graph.shapeProblem(node) { return .unsupported(problem) }
        let limit = deviceDescription.maxStorageBufferRange
        // (A matmul computes an output larger than that in blocks of tokens.)
        let checked = node.kind == .matmul ? node.inputs : node.inputs + node.outputs
        for v in checked where !graph[v].kind.isWeight && graph[v].elementCount * 4 > limit {
            return .unsupported("\(graph[v].name) (\(graph[v].elementCount * 4 / 1_048_576) MiB) exceeds one storage binding (\(limit / 1_048_576) MiB)")
        }
        return kernel.support(node, in: graph, device: deviceDescription)
    }

    public func prepare(_ weight: WeightTensor) throws -> any BackendTensor {
        try lock.withLock { _ in
            let rowBytes = weight.rowBytes
            let limit = deviceDescription.maxStorageBufferRange - 8
            guard rowBytes <= limit else { throw VulkanError.unsupported("\(weight.name): one row is larger than a storage binding") }
            let rowsPerChunk = max(1, limit / max(rowBytes, 1))
            var chunks: [VulkanWeight.Chunk] = []
            var first = 0
            repeat {
                let rows = min(rowsPerChunk, weight.rowCount - first)
                let bytes = rows * rowBytes
                // Whole words plus one, so a kernel reading the word of the last byte stays inside.
                let buffer = try device.makeBuffer((bytes + 7) / 4 * 4, what: weight.name)
                buffer.contents.copyMemory(from: weight.bytes.baseAddress! + first * rowBytes, byteCount: bytes)
                chunks.append(VulkanWeight.Chunk(slice: buffer.whole, firstRow: first, rows: rows))
                first += rows
            } while first < weight.rowCount
            var floats: BufferSlice?
            if weight.elementCount <= VulkanWeight.floatCopyLimit {
                let buffer = try device.makeBuffer(weight.elementCount * 4, what: "\(weight.name) (f32)")
                let destination = buffer.contents.assumingMemoryBound(to: Float.self)
                for r in 0..<weight.rowCount {
                    Dequantize.row(weight.format, from: weight.bytes.baseAddress! + r * rowBytes, count: weight.rowLength,
                                   into: destination + r * weight.rowLength)
                }
                floats = buffer.whole
            }
            return VulkanWeight(shape: weight.shape, format: weight.format, chunks: chunks, floats: floats)
        }
    }

    public func makeState(_ info: ValueInfo) throws -> any BackendTensor {
        try lock.withLock { _ in
            let buffer = try device.makeBuffer(info.elementCount * 4, what: info.name)
            buffer.contents.initializeMemory(as: UInt8.self, repeating: 0, count: buffer.byteCount)
            return VulkanTensor(shape: info.shape, slice: buffer.whole)
        }
    }

    public func upload(_ tensor: HostTensor) throws -> any BackendTensor {
        try lock.withLock { _ in
            let buffer = try device.makeBuffer(tensor.count * 4, what: "an uploaded tensor")
            buffer.contents.copyMemory(from: tensor.storage.baseAddress!, byteCount: tensor.count * 4)
            statistics.bytesToDevice += tensor.count * 4
            return VulkanTensor(shape: tensor.shape, slice: buffer.whole)
        }
    }

    public func download(_ tensor: any BackendTensor) throws -> HostTensor {
        guard let t = tensor as? VulkanTensor else { throw ExecutionError.foreignTensor(backend: name) }
        let host = HostTensor(shape: t.shape)
        host.storage.baseAddress!.update(from: t.floats, count: t.count)
        lock.withLock { _ in statistics.bytesFromDevice += t.count * 4 }
        return host
    }

    public func execute(_ segment: PlanSegment, io: SegmentIO) throws {
        try lock.withLock { _ in
            let started = ContinuousClock.now
            let graph = io.graph
            let timed = io.profile != nil && device.supportsTimestamps
            let key = "\(graph.tokenCount)/\(graph.values.count)/\(graph.outputs)/\(segment.index)/\(segment.nodes[0].index)/\(segment.nodes.count)"
                + (timed ? "/timed" : "")
            let layout = layout(for: segment, in: graph, key: key)
            let arena = layout.offsets.isEmpty && layout.scratchBytes == 0 ? nil : try freeBuffer(in: &arenas, bytes: layout.bytes, what: "activations")
            let passWords = VulkanPass.PassWords(segment, graph, io.pass)
            if (passBuffer?.byteCount ?? 0) < passWords.words.count * 4 {
                passBuffer = try device.makeBuffer(max(passWords.words.count * 4, 65_536), what: "the pass buffer")
            }
            let readback: (Int, String) throws -> BufferSlice = { [unowned self] bytes, what in
                try self.freeBuffer(in: &self.readbacks, bytes: bytes, readback: true, what: what).whole
            }
            do {
                // The steady state of decode: the same segment over the same buffers as last time.
                if let replay = replays[key] {
                    let words = passWords.write(to: passBuffer!)
                    if try replay.run(io: io, arena: arena, passBuffer: passBuffer!, readback: readback, submit: { recording in
                        try submit(recording, passBytes: words.byteCount, profile: io.profile, since: started)
                    }) {
                        return
                    }
                }
                let pass = VulkanPass(device: device, io: io, layout: layout, arena: arena, passBuffer: passBuffer!,
                                      passWords: passWords, readback: readback)
                statistics.encodes += 1
                var i = segment.nodes.startIndex
                while i < segment.nodes.endIndex {
                    let rest = segment.nodes[i...]
                    pass.currentLabel = rest.first!.kind.rawValue
                    var consumed = 1
                    if let (fusion, count) = Self.fusions.lazy.compactMap({ f in f.match(rest, in: pass).map { (f, $0) } }).first {
                        try fusion.encode(rest.prefix(count), pass)
                        consumed = count
                    } else {
                        try Self.kernels[rest.first!.kind]!.encode(rest.first!, pass)
                    }
                    for node in rest.prefix(consumed) { io.release(after: node) }
                    i += consumed
                }
                // Reuse the recording of this segment shape when the pass binds the same buffers
                // with the same constants; record it anew otherwise.
                let recording: CommandRecording
                if let cached = recordings[key], cached.commands == pass.commands {
                    recording = cached
                } else {
                    recordings[key] = nil
                    replays[key] = nil
                    if recordings.count >= 16 { recordings.removeAll(); replays.removeAll() }
                    recording = try CommandRecording(device: device, commands: pass.commands, slices: pass.slices, dummy: dummy.whole, timed: timed)
                    recordings[key] = recording
                }
                try withExtendedLifetime(pass) {
                    try submit(recording, passBytes: pass.passBuffer.byteCount, profile: io.profile, since: started)
                }
                replays[key] = SegmentReplay(recording: recording, pass: pass, layout: layout, arena: arena, io: io)
            } catch let error as ExecutionError {
                throw error
            } catch {
                throw ExecutionError.backendFailure(backend: name, node: segment.nodes.first!.name, reason: "\(error)")
            }
        }
    }

    /// The activation layout of a segment shape: cached, and checked against the graph's value
    /// shapes (two graphs alike but for their widths must not share one). The same graph as last
    /// time (a cached plan's) is known by its storage, without comparing shapes.
    private func layout(for segment: PlanSegment, in graph: ForwardGraph, key: String) -> ActivationLayout {
        if let cached = layouts[key] {
            let same = cached.values.withUnsafeBufferPointer { a in graph.values.withUnsafeBufferPointer { a.baseAddress == $0.baseAddress } }
            if same || cached.values.map(\.shape) == graph.values.map(\.shape) { return cached.layout }
        }
        let alignment = max(256, deviceDescription.storageBufferOffsetAlignment)
        let layout = ActivationLayout(segment: segment, graph: graph, alignment: alignment) { node in
            Self.kernels[node.kind]?.scratchBytes(node, in: graph, device: self.deviceDescription) ?? 0
        }
        layouts[key] = (graph.values, layout)
        replays[key] = nil
        return layout
    }

    /// Submits a recording, waits for it, and counts it (and its per-dispatch times, when timed).
    private func submit(_ recording: CommandRecording, passBytes: Int, profile: OpProfile?, since started: ContinuousClock.Instant) throws {
        let submitted = ContinuousClock.now
        try recording.submitAndWait()
        statistics.hostMicroseconds += Self.microseconds(submitted - started)
        statistics.waitMicroseconds += Self.microseconds(ContinuousClock.now - submitted)
        if let seconds = try recording.gpuSeconds() { statistics.gpuMicroseconds += Int(seconds * 1e6) }
        if let profile, let seconds = try recording.dispatchSeconds() {
            for (command, s) in zip(recording.commands, seconds) {
                if let kind = OpKind(rawValue: command.label) { profile.add(kind, backend: name, seconds: s) }
            }
        }
        statistics.submits += 1
        if recording.submitted { statistics.replays += 1 }
        recording.submitted = true
        statistics.dispatches += recording.commands.count
        statistics.barriers += recording.barriers
        statistics.bytesToDevice += passBytes
    }

    private static func microseconds(_ d: Duration) -> Int {
        Int(d.components.seconds) * 1_000_000 + Int(d.components.attoseconds / 1_000_000_000_000)
    }

    /// A buffer of at least `bytes` from `pool` that nothing else holds (a tensor of an earlier pass
    /// may still hold one), or a new one.
    private func freeBuffer(in pool: inout [GPUBuffer], bytes: Int, readback: Bool = false, what: String) throws -> GPUBuffer {
        for i in pool.indices where pool[i].byteCount >= bytes && isKnownUniquelyReferenced(&pool[i]) {
            return pool[i]
        }
        // Drop idle buffers too small to serve, then make one.
        var i = 0
        while i < pool.count {
            if pool[i].byteCount < bytes && isKnownUniquelyReferenced(&pool[i]) { pool.remove(at: i) } else { i += 1 }
        }
        let buffer = try device.makeBuffer(bytes, readback: readback, what: what)
        pool.append(buffer)
        return buffer
    }
}

/// A run of consecutive ops of one segment that one kernel computes at once (fewer dispatches and
/// barriers). It writes every output of every node it takes, so nothing else changes.
protocol VulkanFusion: Sendable {
    /// How many nodes from the start of `nodes` this fusion takes, or nil.
    func match(_ nodes: ArraySlice<OpNode>, in pass: VulkanPass) -> Int?
    /// Records the fused dispatches for the first `match` nodes.
    func encode(_ nodes: ArraySlice<OpNode>, _ pass: VulkanPass) throws
}

/// One op kind of the Vulkan backend.
protocol VulkanKernel: Sendable {
    /// Whether the kernel runs this node; refusals say why.
    func support(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> OpSupport
    /// Records the node's dispatches into the pass.
    func encode(_ node: OpNode, _ pass: VulkanPass) throws
    /// Bytes of scratch GPU memory the node's dispatches use (`VulkanPass.scratch`).
    func scratchBytes(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> Int
}

extension VulkanKernel {
    func support(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> OpSupport { .supported }
    func scratchBytes(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> Int { 0 }
}
