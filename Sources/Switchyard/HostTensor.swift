#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tensor of `Float`s in host memory: its own allocation, or a view into a session's `HostArena`.
/// The common storage of every `.cpu` backend, and what `download` returns.
/// Sendable: written by the one op that produces it (its kernel's threads write disjoint ranges) and only read after that op returns, within one session's pass.
public final class HostTensor: BackendTensor, @unchecked Sendable {
    public let shape: [Int]
    public let storage: UnsafeMutableBufferPointer<Float>
    /// Row length (the innermost dimension), stored: hot loops call `row(_:)` per element row.
    public let columns: Int
    /// What the storage belongs to when this tensor is a view (kept alive by it); nil when the
    /// tensor owns its storage.
    private let owner: AnyObject?

    /// A zero-filled tensor. The memory comes from `calloc`, so untouched pages of a large
    /// tensor (a KV cache sized for the whole context) cost no resident memory.
    public init(shape: [Int]) {
        self.shape = shape
        columns = shape.last ?? 1
        let count = shape.reduce(1, *)
        let raw = calloc(max(count, 1), MemoryLayout<Float>.stride)!.assumingMemoryBound(to: Float.self)
        storage = UnsafeMutableBufferPointer(start: raw, count: count)
        owner = nil
    }

    /// A tensor over memory that `owner` holds (a view into an arena), uninitialized.
    init(shape: [Int], viewing start: UnsafeMutablePointer<Float>, of owner: AnyObject) {
        self.shape = shape
        columns = shape.last ?? 1
        storage = UnsafeMutableBufferPointer(start: start, count: shape.reduce(1, *))
        self.owner = owner
    }

    /// A tensor holding `values` (whose count must match the shape).
    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "HostTensor: \(values.count) values for shape \(shape)")
        self.init(shape: shape)
        _ = storage.initialize(from: values)
    }

    deinit { if owner == nil { free(storage.baseAddress) } }

    public var count: Int { storage.count }
    public var rows: Int { count / max(columns, 1) }
    /// Pointer to the start of row `r`.
    @inlinable public func row(_ r: Int) -> UnsafeMutablePointer<Float> { storage.baseAddress! + r * columns }
    /// A copy of the elements.
    public var array: [Float] { Array(storage) }
    /// The largest absolute value of the elements (NaN when any element is NaN; 0 when empty).
    public var largestMagnitude: Float {
        var largest: Float = 0
        for x in storage {
            if x.isNaN { return .nan }
            largest = max(largest, abs(x))
        }
        return largest
    }
}
