import Switchyard

/// An activation or KV buffer in the unit's memory: every element a binary16 value. Kept as
/// `Float`s that hold binary16 values exactly (the arithmetic is the same; the cost model counts
/// two bytes per element).
/// Sendable: as `HostTensor`, written by the one op that produces it, read after it returns.
final class HalfTensor: BackendTensor, @unchecked Sendable {
    let values: HostTensor
    var shape: [Int] { values.shape }

    /// Zero-filled.
    init(shape: [Int]) { values = HostTensor(shape: shape) }

    /// Filled with NaN (an output in the conformance suite, so an element never written shows).
    init(poisoned shape: [Int]) {
        values = HostTensor(shape: shape)
        values.storage.update(repeating: .nan)
    }

    var count: Int { values.count }
    var rows: Int { values.rows }
    var columns: Int { values.columns }
    var base: UnsafeMutablePointer<Float> { values.storage.baseAddress! }
    func row(_ r: Int) -> UnsafeMutablePointer<Float> { values.row(r) }
}
