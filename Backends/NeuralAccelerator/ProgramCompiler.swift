import Switchyard

/// How the unit's compiler turns a plan segment into programs for exact shapes (docs/neural-
/// accelerator.md, "Programs"): one program per segment, compiled for one token (decode, AR-1) or
/// for a chunk of 128 (prefill, AR-128, run ⌈n / 128⌉ times with the last chunk padded), except
/// that a matmul with more than 16,384 output columns becomes programs of its own, one per slice
/// of 16,384. Each program is priced on the cost model.
struct ProgramCompiler {
    let cost: UnitCostModel

    func programs(for segment: PlanSegment, in graph: ForwardGraph) -> [CompiledProgram] {
        let n = graph.tokenCount
        let rows = n == 1 ? 1 : UnitSpec.prefillChunk
        let invocations = (n + rows - 1) / rows
        let shape = n == 1 ? "AR-1" : "AR-\(rows)"
        var programs: [CompiledProgram] = []
        var pending: [OpNode] = []

        func flush() {
            guard !pending.isEmpty else { return }
            programs.append(program(pending, name: name(pending, shape), rows: rows, invocations: invocations, graph: graph))
            pending = []
        }
        for node in segment.nodes {
            let m = graph[node.outputs[0]].shape.last!
            if node.kind == .matmul && m > UnitSpec.maxDimension {
                flush()
                let slices = (m + UnitSpec.maxDimension - 1) / UnitSpec.maxDimension
                for s in 0..<slices {
                    let columns = min(UnitSpec.maxDimension, m - s * UnitSpec.maxDimension)
                    programs.append(program([node], name: "\(node.name) [\(s + 1)/\(slices)] (\(shape))", rows: rows,
                                            invocations: invocations, graph: graph, fraction: Double(columns) / Double(m)))
                }
            } else {
                pending.append(node)
            }
        }
        flush()
        return programs
    }

    private func name(_ nodes: [OpNode], _ shape: String) -> String {
        nodes.count == 1 ? "\(nodes[0].name) (\(shape))" : "\(nodes.first!.name) … \(nodes.last!.name) (\(shape))"
    }

    /// Prices `nodes` as one program (`fraction` of a split matmul's columns): per op the larger of
    /// its arithmetic at the fp16 peak and its bytes at the unit's bandwidth, plus the dispatch
    /// latency per invocation. An op's bytes are its weights (every invocation, or only the first
    /// when the program's weights fit on chip), attention's KV buffer, the host tables it reads
    /// first (RoPE's cos/sin, one mask per kind of attention layer) and the program inputs it
    /// reads first or outputs it writes, in fp16 with the last axis padded.
    private func program(_ nodes: [OpNode], name: String, rows: Int, invocations: Int, graph: ForwardGraph,
                         fraction: Double = 1) -> CompiledProgram {
        let members = Set(nodes.map(\.index))
        let produced = Set(nodes.flatMap(\.outputs))
        let readLater = Set(graph.nodes.filter { !members.contains($0.index) }.flatMap(\.inputs)).union(graph.outputs)
        /// Bytes of one invocation's share of activation `v`.
        func io(_ v: ValueID) -> Double {
            let info = graph[v]
            let perInvocation = info.shape.count > 1 && info.shape[0] == graph.tokenCount ? rows : info.elementCount / info.shape.last!
            return Double(perInvocation * UnitSpec.padded(info.shape.last!) * 2)
        }
        var charged = Set<ValueID>(), masks = Set<Int>()
        var ops: [(flops: Double, bytes: Double, weights: Double)] = []
        for node in nodes {
            let out = graph[node.outputs[0]]
            let width = Double(UnitSpec.padded(out.shape.last!))
            var flops = Double(rows) * width, bytes = 0.0, weights = 0.0
            switch node.op {
            case .matmul:
                let w = graph[node.inputs[1]]
                flops = 2 * Double(rows) * width * fraction * Double(w.shape.last!)
                weights = Double(fileBytes(w)) * fraction
            case .attention(let p):
                let buffer = graph[node.inputs[1]]
                flops = 4 * Double(rows) * Double(p.heads) * Double(buffer.shape[0]) * Double(p.headDim)
                bytes += 2 * Double(buffer.shape[0] * UnitSpec.padded(buffer.shape.last!) * 2)
                if masks.insert(p.window ?? 0).inserted { bytes += Double(rows * UnitSpec.padded(buffer.shape[0]) * 2) }
            case .rope(let p):
                bytes += Double(rows * UnitSpec.padded(p.rotatedDims) * 2)
            case .kvWrite:
                flops = 0
                // As in Genie, only the new K and V rows come out; the buffer is state.
                bytes += node.inputs.reduce(0) { $0 + io($1) }
            default:
                weights = node.inputs.reduce(0) { $0 + Double(fileBytes(graph[$1])) }
            }
            for v in node.inputs where graph[v].kind == .activation && !produced.contains(v) && charged.insert(v).inserted { bytes += io(v) }
            for v in node.outputs where graph[v].kind == .activation && readLater.contains(v) && charged.insert(v).inserted {
                bytes += io(v) * (node.kind == .matmul ? fraction : 1)
            }
            ops.append((flops, bytes, weights))
        }
        let weightBytes = ops.reduce(0) { $0 + $1.weights }
        let weightsFit = weightBytes <= Double(cost.onChipBytes)
        let first = cost.dispatchLatency + ops.reduce(0) { $0 + cost.opSeconds(flops: $1.flops, bytes: $1.bytes + $1.weights) }
        let later = cost.dispatchLatency + ops.reduce(0) { $0 + cost.opSeconds(flops: $1.flops, bytes: $1.bytes + (weightsFit ? 0 : $1.weights)) }
        return CompiledProgram(name: name, nodes: nodes.map(\.index), tokens: rows, invocations: invocations,
                               weightBytes: Int(weightBytes) * (weightsFit ? 1 : invocations),
                               modeledSeconds: first + Double(invocations - 1) * later)
    }

    /// Bytes of a weight in the file (the unit streams the compressed codes); 0 for an activation.
    private func fileBytes(_ info: ValueInfo) -> Int {
        guard case .weight(let format) = info.kind else { return 0 }
        return format.byteCount(elements: info.elementCount) ?? info.elementCount * 2
    }
}
