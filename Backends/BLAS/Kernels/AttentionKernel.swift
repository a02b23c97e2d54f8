import COpenBLAS
import Switchyard
import SwitchyardCPUKernels
#if canImport(Glibc)
import Glibc
#endif

/// `attention` over the KV cache (position t in row t % rows). A few query rows (decode): each
/// (row, head) pair is one fused loop — scores, softmax, weighted sum of values — pairs split
/// across threads. Many rows (prefill): per head, S = Q·Kᵀ and O = P·V through `sgemm` over the
/// span of positions the pass sees, with the causal and sliding-window mask applied to S.
struct AttentionKernel: BLASKernel {
    static let fusedRows = 4


    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        guard case .attention(let p) = node.op else { return }
        let q = try io.host(node.inputs[0])
        let kCache = try io.host(node.inputs[1]), vCache = try io.host(node.inputs[2])
        let out = io.makeHostOutput(node.outputs[0])
        let newest = io.pass.position(q.rows - 1)
        let oldest = p.window.map { max(0, io.pass.startPosition - $0 + 1) } ?? 0
        guard newest - oldest < kCache.rows else { throw ExecutionError.contextOverflow(needed: newest - oldest + 1, capacity: kCache.rows) }
        let span = Span(p: p, start: io.pass.startPosition, oldest: oldest, newest: newest, cacheRows: kCache.rows)
        if q.rows <= Self.fusedRows {
            fused(q, kCache, vCache, out, span, backend)
        } else {
            batched(q, kCache, vCache, out, span, backend)
        }
    }

    /// The positions one pass's queries see.
    struct Span {
        let p: AttentionParameters
        let start: Int, oldest: Int, newest: Int, cacheRows: Int
        /// First position query row r sees.
        func first(_ r: Int) -> Int { p.window.map { max(0, start + r - $0 + 1) } ?? 0 }
        func score(_ raw: Float) -> Float {
            let s = raw * p.scale
            guard let cap = p.softcap else { return s }
            return cap * tanhf(s / cap)
        }
    }

    /// Decode-sized passes: for each query row, the cached positions are split across threads in
    /// one dispatch. Each thread reads its key and value rows once for all the query heads that
    /// share them (GQA/MQA), takes the softmax numerators against its own running maximum and sums
    /// its share of the values; the shares are then rescaled to the overall maximum and added.
    private func fused(_ q: HostTensor, _ k: HostTensor, _ v: HostTensor, _ out: HostTensor, _ span: Span, _ backend: BLASBackend) {
        let p = span.p, group = p.heads / p.kvHeads, hd = p.headDim
        let threads = backend.pool.threadCount
        // Per worker: partial outputs [heads × hd], then per head its maximum and its sum.
        let stride = p.heads * (hd + 2)
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: threads * stride)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: p.heads * (span.newest + 1))
        defer { partials.deallocate(); scores.deallocate() }
        for r in 0..<q.rows {
            let first = span.first(r), count = span.start + r - first + 1
            let query = q.row(r)
            let workers = min(threads, max(1, count / 32))
            backend.pool.run { worker in
                let partial = partials + worker * stride
                let maxima = partial + p.heads * hd, sums = maxima + p.heads
                partial.update(repeating: 0, count: p.heads * hd)
                guard worker < workers else { return }
                let positions = count * worker / workers ..< count * (worker + 1) / workers
                // Scores of this share, scores[h * count + i] for position first + i.
                let keys = k.storage.baseAddress!, values = v.storage.baseAddress!
                let (i0, i1) = (Int64(positions.lowerBound), Int64(positions.upperBound))
                sy_attention_scores(query, Int64(p.heads), Int64(group), Int64(hd), p.scale, keys, Int64(k.columns),
                                    Int64(span.cacheRows), Int64(first), i0, i1, scores, Int64(count))
                for h in 0..<p.heads {
                    let share = scores + h * count + positions.lowerBound
                    if let cap = p.softcap { for i in 0..<positions.count { share[i] = cap * tanhf(share[i] / cap) } }
                    sums[h] = sy_softmax_numerators_f32(share, Int64(positions.count), maxima + h)
                }
                sy_attention_values(scores, Int64(count), Int64(p.heads), Int64(group), Int64(hd), values, Int64(v.columns),
                                    Int64(span.cacheRows), Int64(first), i0, i1, partial)
            }
            // out = Σ_w e^(m_w − m)·partial_w / Σ_w e^(m_w − m)·sum_w, per head.
            let dst = out.row(r)
            for h in 0..<p.heads {
                var maxValue = -Float.infinity
                for w in 0..<workers { maxValue = max(maxValue, partials[w * stride + p.heads * hd + h]) }
                var total: Float = 0
                let head = dst + h * hd
                head.update(repeating: 0, count: hd)
                for w in 0..<workers {
                    let base = partials + w * stride
                    let weight = expf(base[p.heads * hd + h] - maxValue)
                    total += weight * base[p.heads * hd + p.heads + h]
                    sy_axpy_f32(weight, base + h * hd, head, Int64(hd))
                }
                let inverse = 1 / total
                for d in 0..<hd { head[d] *= inverse }
            }
        }
    }

    private func batched(_ q: HostTensor, _ k: HostTensor, _ v: HostTensor, _ out: HostTensor, _ span: Span, _ backend: BLASBackend) {
        let p = span.p, group = p.heads / p.kvHeads, hd = p.headDim, n = q.rows
        let count = span.newest - span.oldest + 1
        let kvWidth = k.columns, qWidth = q.columns
        // The span's rows in the ring cache, read where they lie: one run of rows, or two when the
        // ring wraps (positions oldest... at the end of the cache, the rest from row 0).
        let firstRow = span.oldest % span.cacheRows
        let pieces = [(row: firstRow, t: 0, count: min(count, span.cacheRows - firstRow))]
            + (firstRow + count > span.cacheRows ? [(row: 0, t: span.cacheRows - firstRow, count: firstRow + count - span.cacheRows)] : [])
        /// The runs of cache rows holding span positions lo...hi (as offsets from the oldest).
        func runs(_ lo: Int, _ hi: Int) -> [(row: Int, t: Int, count: Int)] {
            pieces.compactMap { piece in
                let a = max(piece.t, lo), b = min(piece.t + piece.count, hi + 1)
                return a < b ? (piece.row + a - piece.t, a, b - a) : nil
            }
        }
        // Without soft-capping the scale folds into the first product.
        let alpha: Float = p.softcap == nil ? p.scale : 1
        // Heads are split across threads; each runs single-threaded sgemms with its own scores,
        // `block` query rows at a time so the score matrix stays small at long contexts. A block
        // computes only the positions its rows can see (causal and window masks), not the span.
        let block = 64
        backend.pool.parallelFor(p.heads) { heads in
            backend.scratch.with(min(n, block) * count) { scores in
                for h in heads {
                    let kvOffset = (h / group) * hd
                    for rowStart in stride(from: 0, to: n, by: block) {
                        let rows = min(block, n - rowStart)
                        let lo = span.first(rowStart) - span.oldest, hi = span.start + rowStart + rows - 1 - span.oldest
                        let width = hi - lo + 1
                        let blockRuns = runs(lo, hi)
                        for run in blockRuns {
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(run.count), Int32(hd),
                                        alpha, q.row(rowStart) + h * hd, Int32(qWidth), k.row(run.row) + kvOffset, Int32(kvWidth),
                                        0, scores + (run.t - lo), Int32(width))
                        }
                        for i in 0..<rows {
                            let r = rowStart + i
                            let row = scores + i * width   // row[j] is position oldest + lo + j
                            let first = span.first(r) - span.oldest - lo, last = span.start + r - span.oldest - lo
                            if p.softcap != nil { for j in first...last { row[j] = span.score(row[j]) } }
                            var maximum: Float = 0
                            let inverse = 1 / sy_softmax_numerators_f32(row + first, Int64(last - first + 1), &maximum)
                            for j in first...last { row[j] *= inverse }
                            if first > 0 { row.update(repeating: 0, count: first) }
                            if last + 1 < width { (row + last + 1).update(repeating: 0, count: width - last - 1) }
                        }
                        for (i, run) in blockRuns.enumerated() {
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(hd), Int32(run.count),
                                        1, scores + (run.t - lo), Int32(width), v.row(run.row) + kvOffset, Int32(kvWidth),
                                        i == 0 ? 0 : 1, out.row(rowStart) + h * hd, Int32(qWidth))
                        }
                    }
                }
            }
        }
    }
}
