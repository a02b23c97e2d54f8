import Switchyard

/// Where a segment's activations live in one block of GPU memory: each at an offset, first fit over
/// the values' lifetimes within the segment, so values never alive together share bytes (a
/// 512-token prefill needs a few MB instead of hundreds). A value read after the segment (by a later
/// segment) keeps its place until the segment ends; values the caller reads after the pass (logits)
/// are not placed here but in host-readable memory. Scratch for kernels that need it (split
/// attention's partial results) sits after the activations, shared by the segment's nodes (the
/// barriers that order their dispatches order their scratch use too).
struct ActivationLayout {
    /// Byte offset of each placed activation.
    let offsets: [ValueID: Int]
    /// Bytes the block needs.
    let bytes: Int
    /// Where the scratch starts, and its bytes (the most any node of the segment asks for).
    let scratchOffset: Int
    let scratchBytes: Int
    /// How many nodes of the graph read each value, and whether the caller reads it after the pass.
    let readers: [ValueID: Int]
    let graphOutputs: Set<ValueID>

    /// Nodes a value's bytes stay reserved after its last reader: the longest fusion's length − 1
    /// (`HeadNormRopeFusion` takes five ops). The layout is made op by op; without this, a fused
    /// dispatch's output could take, shifted, the bytes of an input that died earlier in the run
    /// and that other workgroups of the same dispatch still read.
    static let freeDelay = 4

    /// - Parameter scratch: the scratch bytes a node's kernel needs.
    init(segment: PlanSegment, graph: ForwardGraph, alignment: Int, scratch: (OpNode) -> Int = { _ in 0 }) {
        var lastUse: [ValueID: Int] = [:], readers: [ValueID: Int] = [:]
        for node in graph.nodes { for v in node.inputs { lastUse[v] = node.index; readers[v, default: 0] += 1 } }
        self.readers = readers
        graphOutputs = Set(graph.outputs)
        let segmentEnd = segment.nodes.last!.index
        let outputs = Set(graph.outputs)
        func size(_ v: ValueID) -> Int { (graph[v].elementCount * 4 + alignment - 1) / alignment * alignment }

        var free: [(offset: Int, bytes: Int)] = []   // sorted by offset
        var top = 0
        var offsets: [ValueID: Int] = [:]
        var dies: [Int: [ValueID]] = [:]
        for node in segment.nodes {
            for v in node.outputs where graph[v].kind == .activation && !outputs.contains(v) {
                let need = size(v)
                if let i = free.firstIndex(where: { $0.bytes >= need }) {
                    offsets[v] = free[i].offset
                    if free[i].bytes == need { free.remove(at: i) } else { free[i] = (free[i].offset + need, free[i].bytes - need) }
                } else {
                    offsets[v] = top
                    top += need
                }
                // A value read after the segment, or never, keeps its bytes to the end. Others
                // keep them `freeDelay` nodes past their last reader, so a fusion's outputs never
                // land on inputs the fused dispatch still reads.
                let last = lastUse[v] ?? segmentEnd
                if last <= segmentEnd && last > node.index && last + Self.freeDelay <= segmentEnd {
                    dies[last + Self.freeDelay, default: []].append(v)
                }
            }
            for v in dies[node.index] ?? [] {
                free.append((offsets[v]!, size(v)))
                free.sort { $0.offset < $1.offset }
                // Merge neighbours.
                var merged: [(offset: Int, bytes: Int)] = []
                for f in free {
                    if let l = merged.last, l.offset + l.bytes == f.offset { merged[merged.count - 1].bytes += f.bytes } else { merged.append(f) }
                }
                free = merged
            }
        }
        self.offsets = offsets
        scratchOffset = top
        scratchBytes = segment.nodes.map(scratch).max() ?? 0
        self.bytes = max(top + (scratchBytes + alignment - 1) / alignment * alignment, alignment)
    }
}
