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

    /// Prices `nodes` as one program (`fraction` of a split matmul's columns).
    private func program(_ nodes: [OpNode], name: String, rows: Int, invocations: Int, graph: ForwardGraph,
                         fraction: Double = 1) -> CompiledProgram {
        var flops = 0.0, weightBytes = 0.0, otherBytes = 0.0
        let inside = Set(nodes.flatMap(\.outputs))
        var edges = Set<ValueID>()
        for node in nodes {
            let out = graph[node.outputs[0]]
            let width = Double(UnitSpec.padded(out.shape.last!)) * fraction
            switch node.op {
            case .matmul:
                let w = graph[node.inputs[1]]
                flops += 2 * Double(rows) * width * Double(w.shape.last!)
                weightBytes += Double(bytes(of: w)) * fraction
            case .attention(let p):
                let cache = graph[node.inputs[1]]
                let buffer = Double(cache.shape[0])
                flops += 4 * Double(rows) * Double(p.heads) * buffer * Double(p.headDim)
                otherBytes += 2 * buffer * Double(UnitSpec.padded(cache.shape.last!)) * 2
            case .kvWrite:
                otherBytes += 2 * Double(rows) * Double(UnitSpec.padded(graph[node.inputs[0]].shape.last!)) * 2
            default:
                flops += Double(rows) * width
                for v in node.inputs { if case .weight = graph[v].kind { weightBytes += Double(bytes(of: graph[v])) } }
            }
            for v in node.inputs where graph[v].kind == .activation && !inside.contains(v) { edges.insert(v) }
        }
        // Program inputs and outputs cross DRAM in fp16, last axis padded, per invocation.
        let members = Set(nodes.map(\.index))
        let later = Set(graph.nodes.filter { !members.contains($0.index) }.flatMap(\.inputs)).union(graph.outputs)
        for v in inside where graph[v].kind == .activation && later.contains(v) { edges.insert(v) }
        let edgeBytes = edges.reduce(0.0) { total, v in
            let info = graph[v]
            let rowsPerInvocation = info.shape.count > 1 && info.shape[0] == graph.tokenCount ? rows : info.elementCount / info.shape.last!
            return total + Double(rowsPerInvocation * UnitSpec.padded(info.shape.last!) * 2)
        }
        let weightsFit = weightBytes <= Double(cost.onChipBytes)
        let perInvocation = cost.dispatchLatency
            + cost.opSeconds(flops: flops, bytes: (weightsFit ? 0 : weightBytes) + otherBytes + edgeBytes)
        let seconds = Double(invocations) * perInvocation + (weightsFit ? weightBytes / cost.memoryBandwidth : 0)
        return CompiledProgram(name: name, nodes: nodes.map(\.index), tokens: rows, invocations: invocations,
                               weightBytes: Int(weightBytes) * (weightsFit ? 1 : invocations), modeledSeconds: seconds)
    }

    /// Bytes of a weight in the file (the unit streams the compressed codes).
    private func bytes(of info: ValueInfo) -> Int {
        guard case .weight(let format) = info.kind else { return 0 }
        return format.byteCount(elements: info.elementCount) ?? info.elementCount * 2
    }
}
