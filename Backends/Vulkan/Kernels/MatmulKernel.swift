import Switchyard

/// `matmul`: out = x · Wᵀ, one dispatch per weight chunk (each writes its own columns of out),
/// reading the weight in its GGUF format.
///
/// - Up to `matvecTokens` tokens (decode): `matvec_<format>` (`matvec`), workgroups of 128
///   sharing out `threadsPerRow` invocations to a weight row, 128 / threadsPerRow rows per
///   workgroup, spread by `WorkgroupGrid`; `MatvecFusion` gives it several weights at once.
/// - More (prefill): `matmul_<format>`, workgroups of 256 computing 64 tokens × 64 rows:
///   (row tiles up to 65,535, token tiles, row tiles / 65,535). Push: n, k, m, firstRow, chunkRows.
struct MatmulKernel: VulkanKernel {
    /// Token counts up to which the matrix-vector kernel runs. It sweeps the weight once per 4
    /// tokens; the tiled kernel reads it once per 64 tokens but computes whole 64-token tiles, so
    /// for few tokens it does mostly padding (on an H200, 8 tokens: ~2× faster by matvec).
    static let matvecTokens = 8
    static let matvecGroupSize = 128
    static let tile = 64

    func support(_ node: OpNode, in graph: ForwardGraph, device: VulkanDeviceDescription) -> OpSupport {
        let w = graph[node.inputs[1]]
        guard case .weight(let format) = w.kind, !graph[node.inputs[0]].kind.isWeight else {
            return .unsupported("a product of two activations (the kernel reads x · weightᵀ)")
        }
        let k = w.shape.last ?? 1
        guard k % format.blockSize == 0 else {
            return .unsupported("rows of \(k) elements are not whole \(format) blocks of \(format.blockSize)")
        }
        return .supported
    }

    func encode(_ node: OpNode, _ pass: VulkanPass) throws {
        let x = try pass.tensor(node.inputs[0])
        let w = try pass.weight(node.inputs[1])
        let out = try pass.output(node.outputs[0])
        // An output larger than one storage binding (all logits of a long pass on lavapipe's
        // 128 MiB) is computed in blocks of tokens, each binding its own ranges of x and out.
        let k = x.columns, m = out.columns
        let range = pass.device.description.maxStorageBufferRange
        let alignment = pass.device.description.storageBufferOffsetAlignment
        var block = max(1, min(x.rows, range / (m * 4)))
        // Block starts must keep both bindings' offsets aligned.
        var step = 1
        while (step * k * 4) % alignment != 0 || (step * m * 4) % alignment != 0 { step += 1 }
        if block < x.rows { block = block / step * step }
        guard block > 0 else { throw VulkanError.unsupported("an output row of \(m) floats larger than one storage binding") }
        for start in stride(from: 0, to: x.rows, by: block) {
            let rows = min(block, x.rows - start)
            try encode(x: BufferSlice(buffer: x.slice.buffer, offset: x.slice.offset + start * k * 4, byteCount: rows * k * 4),
                       out: BufferSlice(buffer: out.slice.buffer, offset: out.slice.offset + start * m * 4, byteCount: rows * m * 4),
                       n: rows, k: k, m: m, weight: w, pass)
        }
    }

    /// The dispatches for `n` tokens of x (row-major [n, k]) into out ([n, m]).
    private func encode(x: BufferSlice, out: BufferSlice, n: Int, k: Int, m: Int, weight w: VulkanWeight, _ pass: VulkanPass) throws {
        let limit = WorkgroupGrid.limit
        if n <= Self.matvecTokens {
            for chunk in w.chunks where chunk.rows > 0 {
                try Self.matvec(x: x, n: n, k: k, parts: [(chunk, out, m)], format: w.format, pass)
            }
        } else {
            let tokenTiles = (n + Self.tile - 1) / Self.tile
            guard tokenTiles <= limit else { throw VulkanError.unsupported("matmul of \(n) tokens: too many token tiles") }
            for chunk in w.chunks where chunk.rows > 0 {
                let rowTiles = (chunk.rows + Self.tile - 1) / Self.tile
                let width = min(rowTiles, limit)
                try pass.dispatch("matmul_" + w.format.rawValue, reads: [x, chunk.slice], writes: [out],
                                  push: [.u(n), .u(k), .u(m), .u(chunk.firstRow), .u(chunk.rows)],
                                  groups: (width, tokenTiles, (rowTiles + width - 1) / width))
            }
        }
    }

    /// One dispatch of `matvec` (one part) or `matvec_parts` over up to three weight chunks that read the same x (`parts`: a
    /// chunk, the out it writes and that out's columns), all in `format` with rows of `k`; with
    /// `gated` (swiglu or geglu), exactly two parts, gate then up, of the same rows, and only the
    /// first out is written: act(gate) · up.
    static func matvec(x: BufferSlice, n: Int, k: Int, parts: [(chunk: VulkanWeight.Chunk, out: BufferSlice, columns: Int)],
                       format: WeightFormat, gated: OpKind? = nil, _ pass: VulkanPass) throws {
        precondition((1...3).contains(parts.count) && (gated == nil || parts.count == 2), "matvec takes 1 to 3 parts")
        let software = pass.device.description.isSoftwareRenderer
        let rows = gated == nil ? parts.reduce(0) { $0 + $1.chunk.rows } : parts[0].chunk.rows
        let log2 = threadsPerRowLog2(format, k: k, rows: rows, software: software)
        let rowsPerGroup = matvecGroupSize >> log2
        func at(_ i: Int) -> (chunk: VulkanWeight.Chunk, out: BufferSlice, columns: Int)? { i < parts.count ? parts[i] : nil }
        // A gated pair is one part over both weights; unused parts bind part 0's buffers.
        let groups = (0..<3).map { i -> Int in
            guard let p = at(i), gated == nil || i == 0 else { return 0 }
            return (p.chunk.rows + rowsPerGroup - 1) / rowsPerGroup
        }
        let rowCounts = (0..<3).map { i in groups[i] > 0 ? at(i)!.chunk.rows : 0 }
        let act = gated.map { $0 == .swiglu ? 1 : 2 } ?? 0
        var push: [PushValue] = [.u(n), .u(k), .u(log2), .u(act)]
        push += rowCounts.map { .u($0) }
        push += (0..<3).map { .u(at($0)?.chunk.firstRow ?? 0) }
        push += (0..<3).map { .u(at($0)?.columns ?? 0) }
        push += [.u(groups[0]), .u(groups[1])]
        try pass.dispatch((parts.count == 1 ? "matvec_" : "matvec_parts_") + format.rawValue, reads: [x] + (0..<3).map { (at($0) ?? parts[0]).chunk.slice },
                          writes: (0..<3).map { (at($0) ?? parts[0]).out }, push: push,
                          groups: WorkgroupGrid.groups(groups.reduce(0, +)))
    }

    /// log2 of the invocations that share a weight row in `matvec`. On a GPU: the fewest that
    /// still give about 131,072 invocations in all (measured on an H200: fewer lanes per row mean
    /// less reduction; too few starve the memory system), at least 8 for block formats and 32 for
    /// plain ones (so a row's lanes read whole cache lines). On a software renderer one per row
    /// (lavapipe runs each workgroup on one core: barriers cost, width does not help; measured on
    /// lavapipe, SmolLM2 decode 2.8 tok/s with one, 2.0 with four). Always
    /// capped so each invocation has at least two units of work (parts of 8 elements for block
    /// formats, elements for F32, words of two elements for F16 and BF16).
    static func threadsPerRowLog2(_ format: WeightFormat, k: Int, rows: Int, software: Bool) -> Int {
        let units: Int
        switch format {
        case .f32: units = k
        case .f16, .bf16: units = k / 2 + 1
        default: units = k / 8
        }
        var log2: Int
        if software {
            log2 = 0
        } else {
            log2 = format.isQuantized ? 3 : 5
            while log2 < 7 && rows << log2 < 131_072 { log2 += 1 }
        }
        while log2 > 0 && (1 << log2) * 2 > units { log2 -= 1 }
        return log2
    }
}
