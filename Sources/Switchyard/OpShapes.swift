extension ForwardGraph {
    /// Why `node`'s inputs do not fit its op, in a few words, or nil when they do. These are
    /// properties of the op, not of any backend: every backend refuses such a node with this reason.
    public func shapeProblem(_ node: OpNode) -> String? {
        let input = self[node.inputs[0]]
        switch node.op {
        case .matmul:
            let w = self[node.inputs[1]].shape
            return input.shape.last == w.last ? nil : "inner dimensions differ (\(input.shape) × \(w))"
        case .rmsNorm:
            let width = self[node.inputs[1]].elementCount
            return input.shape.last! % width == 0 ? nil : "row length not a multiple of the norm width"
        case .rope(let p):
            return p.rotatedDims % 2 == 0 && p.rotatedDims <= p.headDim && input.shape.last == p.heads * p.headDim
                ? nil : "rope dimensions do not fit the rows"
        case .attention(let p):
            return p.kvHeads > 0 && p.heads % p.kvHeads == 0 ? nil : "heads not a multiple of KV heads"
        case .add, .mul:
            let b = self[node.inputs[1]]
            return b.shape == input.shape || b.elementCount == input.shape.last! ? nil : "shapes \(input.shape) and \(b.shape) do not broadcast"
        case .kvWrite:
            guard node.inputs.count == node.outputs.count else { return "\(node.inputs.count) row inputs for \(node.outputs.count) caches" }
            for (rows, cache) in zip(node.inputs, node.outputs) where self[rows].shape.last != self[cache].shape.last {
                return "rows of \(self[rows].shape.last ?? 0) for a cache of \(self[cache].shape.last ?? 0) columns"
            }
            return nil
        case .rows(let start, let count):
            return start >= 0 && count > 0 && start + count <= input.shape[0] ? nil : "rows out of range"
        default:
            return nil
        }
    }
}

extension HostTensor {
    /// Writes `rows`' rows into this cache at positions `start`, `start + 1`, …: position p goes to
    /// row p % rows (a ring; a full-context cache never wraps).
    /// - Throws: `ExecutionError.contextOverflow` when one pass holds more rows than the cache.
    public func writeRing(_ rows: HostTensor, startPosition start: Int) throws {
        guard rows.rows <= self.rows else { throw ExecutionError.contextOverflow(needed: rows.rows, capacity: self.rows) }
        for r in 0..<rows.rows {
            row((start + r) % self.rows).update(from: rows.row(r), count: rows.columns)
        }
    }
}
