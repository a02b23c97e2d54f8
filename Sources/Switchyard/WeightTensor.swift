/// A model weight as it lies in the model file: its name, format, shape and raw bytes. Backends
/// turn it into their own layout once, in `Backend.prepare(_:)`.
///
/// `shape` is outermost first (numpy order): a matmul weight of `m` output rows, each of `k`
/// inputs, has shape `[m, k]`; rows are contiguous and quantized along `k`.
/// Sendable: a read-only view of bytes that `owner` keeps alive and nothing writes.
public struct WeightTensor: @unchecked Sendable {
    public let name: String
    public let format: WeightFormat
    public let shape: [Int]
    /// The raw bytes, valid as long as `owner` lives (a memory-mapped file, typically).
    public let bytes: UnsafeRawBufferPointer
    /// Keeps the memory behind `bytes` alive.
    public let owner: AnyObject

    public init(name: String, format: WeightFormat, shape: [Int], bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.name = name
        self.format = format
        self.shape = shape
        self.bytes = bytes
        self.owner = owner
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
    /// Elements per row (the innermost dimension).
    public var rowLength: Int { shape.last ?? 1 }
    /// Number of rows (all outer dimensions together).
    public var rowCount: Int { elementCount / max(rowLength, 1) }
    /// Bytes per row in the stored format.
    public var rowBytes: Int { format.byteCount(elements: rowLength)! }
}
