import Dispatch
import Switchyard
import SwitchyardCPUKernels

/// A weight as the unit's compiler leaves it: every element the file's dequantized value rounded
/// to fp16 ("expanded at compile"). A one-dimensional weight (a norm's gain, a broadcast operand)
/// is a vector of `Float`s holding fp16 values. A matrix is kept in panels of 16 output columns:
/// as the codes of its groups of 32 when its format is affine in them (`AffineGroups`: Q4_0, Q4_1,
/// Q4_K, Q5_0, Q8_0 — the unit expands h(q·scale + offset) as it multiplies, reading the file's
/// bits per weight, not two bytes), else as fp16 values. Either way the product sees the same fp16
/// weights. `fileBytes` is what the cost model streams: the file's compressed bytes.
/// Sendable: filled once by `prepare`, read-only afterwards.
final class AcceleratorWeight: BackendTensor, @unchecked Sendable {
    enum Panels {
        /// ⌈m / 16⌉ panels of k rows of 16 fp16 values (`sy_half_matmul`).
        case half(UnsafeMutableBufferPointer<UInt16>)
        /// ⌈m / 16⌉ panels of k / 32 coded groups (`sy_half_matmul_coded`).
        case coded(UnsafeMutableRawBufferPointer, bits: Int)
    }

    let shape: [Int]
    let format: WeightFormat
    let fileBytes: Int
    let panels: Panels?
    /// The values of a one-dimensional weight, rounded to fp16.
    let vector: HostTensor?

    init(_ weight: WeightTensor, threads: Int) {
        shape = weight.shape
        format = weight.format
        fileBytes = weight.rowBytes * weight.rowCount
        if weight.shape.count == 1 {
            let values = HostTensor(shape: weight.shape)
            Dequantize.row(weight.format, from: weight.bytes.baseAddress!, count: weight.shape.reduce(1, *), into: values.storage.baseAddress!)
            sy_half_round(values.storage.baseAddress!, Int64(values.count))
            vector = values
            panels = nil
            return
        }
        vector = nil
        panels = Self.coded(weight, threads: threads) ?? .half(Self.halves(weight, threads: threads))
    }

    deinit {
        switch panels {
        case .half(let p): p.deallocate()
        case .coded(let p, _): p.deallocate()
        case nil: break
        }
    }

    /// Output columns (weight rows) of a matrix.
    var outputs: Int { shape.dropLast().reduce(1, *) }
    /// The reduction length (weight row length).
    var reduction: Int { shape.last! }

    /// Runs `body(panel range, floats, rowsOfPanel)` over the panels split across threads, with
    /// each panel's 16 rows dequantized into `floats` (16 × k, row-major, zero past the last row).
    private static func forEachPanel(_ weight: WeightTensor, threads: Int,
                                     _ body: (_ panel: Int, _ floats: UnsafeMutablePointer<Float>, _ rows: Int) -> Bool) -> Bool {
        let rows = weight.rowCount, k = weight.rowLength, panelCount = (rows + 15) / 16
        let chunks = min(max(1, threads), panelCount)
        let failed = UnsafeMutablePointer<Bool>.allocate(capacity: chunks)
        failed.initialize(repeating: false, count: chunks)
        defer { failed.deallocate() }
        WorkerPool.concurrently(chunks) { c in
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: 16 * k)
            defer { floats.deallocate() }
            for p in panelCount * c / chunks ..< panelCount * (c + 1) / chunks {
                floats.initialize(repeating: 0, count: 16 * k)
                let count = min(16, rows - p * 16)
                for column in 0..<count {
                    Dequantize.row(weight.format, from: weight.bytes.baseAddress! + (p * 16 + column) * weight.rowBytes,
                                   count: k, into: floats + column * k)
                }
                if !body(p, floats, count) { failed[c] = true; return }
            }
        }
        return !(0..<chunks).contains { failed[$0] }
    }

    /// fp16 panels of any format.
    private static func halves(_ weight: WeightTensor, threads: Int) -> UnsafeMutableBufferPointer<UInt16> {
        let k = weight.rowLength, panelCount = (weight.rowCount + 15) / 16
        let panels = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: panelCount * k * 16)
        _ = forEachPanel(weight, threads: threads) { p, floats, _ in
            let halves = UnsafeMutablePointer<UInt16>.allocate(capacity: 16 * k)
            defer { halves.deallocate() }
            sy_half_encode(floats, halves, Int64(16 * k))
            let panel = panels.baseAddress! + p * k * 16
            for j in 0..<k { for column in 0..<16 { panel[j * 16 + column] = halves[column * k + j] } }
            return true
        }
        return panels
    }

    /// Coded panels, when the format is affine in groups of 32 and every element is rebuilt from its
    /// code bit for bit (checked here, element by element; nil otherwise).
    private static func coded(_ weight: WeightTensor, threads: Int) -> Panels? {
        guard let bits = AffineGroups.codeBits(weight.format), weight.rowLength % 32 == 0 else { return nil }
        let k = weight.rowLength, groups = k / 32, panelCount = (weight.rowCount + 15) / 16
        let groupBytes = 128 + 32 * (bits == 4 ? 8 : 16), panelBytes = groups * groupBytes
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: panelCount * panelBytes, alignment: 64)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        let range = bits == 4 ? 0.0...15.0 : -128.0...127.0
        let ok = forEachPanel(weight, threads: threads) { p, floats, count in
            for column in 0..<count {
                let row = weight.bytes.baseAddress! + (p * 16 + column) * weight.rowBytes
                for g in 0..<groups {
                    let group = storage.baseAddress! + p * panelBytes + g * groupBytes
                    let (a, b) = AffineGroups.parameters(weight.format, row: row, group: g)
                    group.storeBytes(of: a, toByteOffset: 4 * column, as: Float.self)
                    group.storeBytes(of: b, toByteOffset: 64 + 4 * column, as: Float.self)
                    for j in 0..<32 {
                        let value = floats[column * k + g * 32 + j]
                        let q = a == 0 ? 0 : ((Double(value) - Double(b)) / Double(a)).rounded()
                        guard range.contains(q), (Float(q) * a + b).bitPattern == value.bitPattern else { return false }
                        let codes = group + 128
                        if bits == 8 {
                            codes.storeBytes(of: Int8(q), toByteOffset: j * 16 + column, as: Int8.self)
                        } else {
                            let at = j * 8 + column % 8
                            let old = codes.load(fromByteOffset: at, as: UInt8.self)
                            codes.storeBytes(of: old | UInt8(q) << (column < 8 ? 0 : 4), toByteOffset: at, as: UInt8.self)
                        }
                    }
                }
            }
            return true
        }
        guard ok else { storage.deallocate(); return nil }
        return .coded(storage, bits: bits)
    }
}
