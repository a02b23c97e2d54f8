import Switchyard

/// An activation or a KV cache in GPU memory: f32, row-major, one row per token.
/// Sendable: its buffer is written only by the backend, under its lock.
final class VulkanTensor: BackendTensor, @unchecked Sendable {
    let shape: [Int]
    let slice: BufferSlice

    init(shape: [Int], slice: BufferSlice) {
        self.shape = shape
        self.slice = slice
    }

    var count: Int { shape.reduce(1, *) }
    var columns: Int { shape.last ?? 1 }
    var rows: Int { count / max(columns, 1) }
    var floats: UnsafeMutablePointer<Float> { slice.contents.assumingMemoryBound(to: Float.self) }
}

/// A model weight in GPU memory: the file's blocks as they are (kernels decode them), split by rows
/// into chunks that each fit one storage binding (lavapipe binds at most 128 MiB; Gemma 3's tied
/// output table is 178 MB), plus an f32 copy of small weights (norms, vectors).
/// Sendable: uploaded once by `prepare`, read-only afterwards.
final class VulkanWeight: BackendTensor, @unchecked Sendable {
    struct Chunk {
        let slice: BufferSlice
        let firstRow: Int
        let rows: Int
    }
    let shape: [Int]
    let format: WeightFormat
    let chunks: [Chunk]
    /// Every element as f32, for weights of at most `floatCopyLimit` elements.
    let floats: BufferSlice?
    static let floatCopyLimit = 65_536

    init(shape: [Int], format: WeightFormat, chunks: [Chunk], floats: BufferSlice?) {
        self.shape = shape; self.format = format; self.chunks = chunks; self.floats = floats
    }

    var rowLength: Int { shape.last ?? 1 }
    var rowCount: Int { shape.reduce(1, *) / max(rowLength, 1) }
    var rowBytes: Int { format.byteCount(elements: rowLength)! }
}
