import COpenBLAS
import Switchyard
import SwitchyardCPUKernels

/// `matmul`: out = x · Wᵀ. Up to `smallBatch` rows (decode), the SIMD kernel streams each weight
/// row once from the file's blocks and dots it with every activation row, rows split across
/// threads. Larger batches (prefill) dequantize the weight in chunks to f32 and multiply them with
/// the AVX-512 tier's own GEMM (`sy_gemm_nt`) or, on other tiers, OpenBLAS's `sgemm`.
struct MatmulKernel: BLASKernel {
    /// Activation rows up to which the streaming kernel beats dequantize + sgemm.
    static let smallBatch = 8
    /// Largest f32 chunk of a weight dequantized at once for sgemm (elements, 1 MB per thread).
    /// A trade of speed for memory: 2 MB chunks make Gemma 3's prefill ~6% faster (fewer repacks of
    /// the activations per sgemm call) but put a filled 4,096-token context within 1% of its memory
    /// bound (docs/benchmarks.md).
    static let chunkElements = 1 << 18

    func run(_ node: OpNode, _ io: SegmentIO, _ backend: BLASBackend) throws {
        let x = try io.host(node.inputs[0])
        let w = try io.blasWeight(node.inputs[1])
        let out = io.makeHostOutput(node.outputs[0])
        let n = x.rows, k = x.columns, m = w.rows
        let xp = UnsafePointer(x.storage.baseAddress!), yp = out.storage.baseAddress!
        if n <= Self.smallBatch {
            backend.pool.parallelFor(m, minimumPerThread: 32) { rows in
                if n == 1 && backend.activations == .int16 {
                    sy_matvec_i16(w.format, w.weight.bytes.baseAddress!, w.weight.rowBytes, Int64(k), xp, yp, Int64(rows.lowerBound), Int64(rows.upperBound))
                } else if n == 1 {
                    sy_matvec(w.format, w.weight.bytes.baseAddress!, w.weight.rowBytes, Int64(k), xp, yp, Int64(rows.lowerBound), Int64(rows.upperBound))
                } else {
                    sy_matmul_rows(w.format, w.weight.bytes.baseAddress!, w.weight.rowBytes, Int64(k), xp, Int64(k), Int64(n), yp, Int64(m),
                                   Int64(rows.lowerBound), Int64(rows.upperBound))
                }
            }
            return
        }
        // Each thread takes a share of the weight's rows (output columns): dequantizes them a chunk
        // at a time into its own scratch and multiplies single-threaded, with the SIMD tier's own
        // GEMM where it has one (AVX-512: OpenBLAS's kernel choice may be pinned to a 256-bit one),
        // else OpenBLAS's sgemm.
        backend.pool.parallelFor(m, minimumPerThread: 16) { share in
            let chunkRows = max(1, min(share.count, Self.chunkElements / k))
            let packing = sy_gemm_nt_scratch(Int64(chunkRows), Int64(k))
            backend.scratch.with(chunkRows * k + Int(packing)) { scratch in
                for start in stride(from: share.lowerBound, to: share.upperBound, by: chunkRows) {
                    let rows = min(chunkRows, share.upperBound - start)
                    w.dequantize(rows: start..<(start + rows), into: scratch)
                    if packing > 0 {
                        sy_gemm_nt(Int64(n), Int64(rows), Int64(k), xp, Int64(k), scratch, Int64(k), yp + start, Int64(m),
                                   scratch + chunkRows * k)
                    } else {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rows), Int32(k),
                                    1, xp, Int32(k), scratch, Int32(k), 0, yp + start, Int32(m))
                    }
                }
            }
        }
    }
}
