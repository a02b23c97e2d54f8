import Dispatch
import Switchyard
import SwitchyardCPUKernels

/// A weight as the unit's compiler leaves it: every element dequantized exactly as ggml does and
/// rounded to fp16 ("expanded at compile"). A matrix is kept in panels of 16 output columns
/// (`sy_half_matmul`'s layout); a one-dimensional weight as `Float`s holding fp16 values. `fileBytes` is what the unit streams from memory per use: the file's compressed
/// bytes, decompressed just in time.
final class AcceleratorWeight: BackendTensor, @unchecked Sendable {
    let shape: [Int]
    let format: WeightFormat
    let fileBytes: Int
    /// Panels of a matrix `[m, k]`: ⌈m / 16⌉ panels of k rows of 16 fp16 values.
    let panels: UnsafeMutableBufferPointer<UInt16>?
    /// The values of a vector (a norm's scale, a broadcast operand), rounded to fp16.
    let vector: HostTensor?

    init(_ weight: WeightTensor, threads: Int) {
        shape = weight.shape
        format = weight.format
        fileBytes = weight.rowBytes * weight.rowCount
        let rows = weight.rowCount, k = weight.rowLength
        if weight.shape.count == 1 {
            let values = HostTensor(shape: weight.shape)
            Dequantize.row(weight.format, from: weight.bytes.baseAddress!, count: weight.shape.reduce(1, *), into: values.storage.baseAddress!)
            sy_half_round(values.storage.baseAddress!, Int64(values.count))
            vector = values
            panels = nil
            return
        }
        vector = nil
        let panelCount = (rows + 15) / 16
        let panels = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: panelCount * k * 16)
        self.panels = panels
        let source = weight.bytes.baseAddress!, rowBytes = weight.rowBytes
        let chunks = min(max(1, threads), panelCount)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: 16 * k)
            let halves = UnsafeMutablePointer<UInt16>.allocate(capacity: 16 * k)
            defer { floats.deallocate(); halves.deallocate() }
            for p in panelCount * c / chunks ..< panelCount * (c + 1) / chunks {
                floats.initialize(repeating: 0, count: 16 * k)
                for column in 0..<min(16, rows - p * 16) {
                    Dequantize.row(weight.format, from: source + (p * 16 + column) * rowBytes, count: k, into: floats + column * k)
                }
                sy_half_encode(floats, halves, Int64(16 * k))
                let panel = panels.baseAddress! + p * k * 16
                for j in 0..<k {
                    for column in 0..<16 { panel[j * 16 + column] = halves[column * k + j] }
                }
            }
        }
    }

    deinit { panels?.deallocate() }

    /// Output columns (weight rows) of a matrix.
    var outputs: Int { shape.count == 1 ? 1 : shape.dropLast().reduce(1, *) }
    /// The reduction length (weight row length).
    var reduction: Int { shape.last! }
}
