import Switchyard

/// Where a tensor's memory is: a buffer (by serial, never reused) and a range of it. Kernels derive
/// their bindings from it, so equal residencies of every outside input mean equal dispatches.
struct Residency: Equatable {
    let buffer: Int
    let offset: Int
    let byteCount: Int

    init?(_ t: any BackendTensor) {
        if let t = t as? VulkanTensor {
            buffer = t.slice.buffer.serial; offset = t.slice.offset; byteCount = t.slice.byteCount
        } else if let w = t as? VulkanWeight {
            // Every weight has buffers of its own; the first chunk's names it.
            buffer = w.chunks[0].slice.buffer.serial; offset = 0; byteCount = -1
        } else {
            return nil
        }
    }
}

/// A recorded segment that can be submitted again without encoding its nodes: the steady state of
/// decode, where encoding hundreds of dispatches on the host would take longer than the GPU takes
/// to run them. It holds what the recording depended on — the residency of every value read from
/// outside the segment (weights, KV caches, earlier segments' outputs), the activation block, the
/// pass buffer and the host-readable buffers of the outputs — and what the encoding left in the
/// value store, so a replay leaves the same. It holds no buffer itself (a held buffer would never be
/// free for the next pass); buffers are compared by serial.
struct SegmentReplay {
    enum Survivor {
        /// A value in the activation block, read by a later segment.
        case activation(ValueID, shape: [Int], offset: Int, bytes: Int)
        /// A value the caller reads after the pass, in a host-readable buffer of its own.
        case readback(ValueID, shape: [Int], name: String, buffer: Int, bytes: Int)
        /// An outside value written in place (a KV cache) and stored again.
        case outside(ValueID)
    }

    let recording: CommandRecording
    let arena: Int?
    let passBuffer: Int
    let outsideReads: [(id: ValueID, residency: Residency)]
    let survivors: [Survivor]
    /// Nodes after whose release an outside activation was dropped from the value store.
    let releasing: [OpNode]
    /// The kernels' checks on the pass's positions (`VulkanPass.require`).
    let checks: [(PassContext) throws -> Void]

    /// What `pass` (just encoded and submitted as `recording`) depended on and left behind.
    init(recording: CommandRecording, pass: VulkanPass, layout: ActivationLayout, arena: GPUBuffer?, io: SegmentIO) {
        self.recording = recording
        self.arena = arena?.serial
        passBuffer = pass.passBuffer.buffer.serial
        outsideReads = pass.outsideReads
        checks = pass.checks
        let outside = Set(pass.outsideReads.map(\.id))
        var survivors: [Survivor] = [], done: Set<ValueID> = []
        for id in pass.stored.reversed() where done.insert(id).inserted {
            guard let t = (try? io.tensor(id)) as? VulkanTensor else { continue }   // dropped within the segment
            if outside.contains(id) {
                survivors.append(.outside(id))
            } else if let offset = layout.offsets[id] {
                survivors.append(.activation(id, shape: t.shape, offset: offset, bytes: t.slice.byteCount))
            } else {
                survivors.append(.readback(id, shape: t.shape, name: io.graph[id].name, buffer: t.slice.buffer.serial, bytes: t.slice.byteCount))
            }
        }
        self.survivors = survivors.reversed()
        let dropped = Set(pass.outsideReads.map(\.id).filter { io.graph[$0].kind == .activation && (try? io.tensor($0)) == nil })
        releasing = io.segment.nodes.filter { !dropped.isDisjoint(with: $0.inputs) }
    }

    /// Submits the recording again and leaves the value store as encoding would have, when every
    /// input is where it was; false (having done nothing) otherwise.
    /// - Parameters:
    ///   - readback: a free host-readable buffer of at least the given bytes (the backend's pool).
    ///   - submit: submits the recording.
    func run(io: SegmentIO, arena: GPUBuffer?, passBuffer: GPUBuffer, readback: (Int, String) throws -> BufferSlice,
             submit: (CommandRecording) throws -> Void) throws -> Bool {
        guard arena?.serial == self.arena, passBuffer.serial == self.passBuffer else { return false }
        for (id, residency) in outsideReads {
            guard let t = try? io.tensor(id), Residency(t) == residency else { return false }
        }
        var results: [(ValueID, any BackendTensor)] = []
        for survivor in survivors {
            switch survivor {
            case .activation(let id, let shape, let offset, let bytes):
                results.append((id, VulkanTensor(shape: shape, slice: BufferSlice(buffer: arena!, offset: offset, byteCount: bytes))))
            case .readback(let id, let shape, let name, let buffer, let bytes):
                // Taken in the order encoding took them, each held before the next is asked for.
                let slice = try readback(bytes, name)
                guard slice.buffer.serial == buffer, slice.byteCount == bytes else { return false }
                results.append((id, VulkanTensor(shape: shape, slice: slice)))
            case .outside(let id):
                results.append((id, try io.tensor(id)))
            }
        }
        for check in checks { try check(io.pass) }
        try submit(recording)
        for (id, t) in results { io.store(id, t) }
        for node in releasing { io.release(after: node) }
        return true
    }
}
