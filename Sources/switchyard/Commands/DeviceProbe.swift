import Switchyard
import SwitchyardVulkan
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard devices --probe`: what a Vulkan device does with the backend's own kernels, measured
/// on synthetic graphs (never a model): the cost of one dependent dispatch (with the barrier before
/// it), the bytes per second a matrix-vector product streams, and the FLOP/s of a prefill-shaped
/// matrix product — the figures a device profile for `switchyard simulate` needs.
struct DeviceProbe {
    let backend: VulkanBackend
    let repetitions = 5

    /// Zeros standing in for weights: timing does not depend on their values.
    final class Zeros: @unchecked Sendable {
        let bytes: UnsafeMutableRawBufferPointer
        init(_ count: Int) { bytes = .allocate(byteCount: max(count, 1), alignment: 64); bytes.initializeMemory(as: UInt8.self, repeating: 0) }
        deinit { bytes.deallocate() }
    }

    /// Median wall seconds of one pass of `graph` (after a warm-up pass).
    func seconds(_ graph: ForwardGraph, weights: [WeightTensor]) throws -> Double {
        let byName = Dictionary(weights.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let plan = try Planner(policy: RoutingPolicy([backend.name]), backends: [backend]).plan(graph)
        let executor = Executor(weights: WeightCache { byName[$0] })
        let pass = PassContext(tokens: [Int32](repeating: 0, count: graph.tokenCount), startPosition: 0)
        let state = SessionState()
        _ = try executor.run(plan, pass: pass, state: state)
        var times: [Double] = []
        for _ in 0..<repetitions {
            let start = ContinuousClock.now
            _ = try executor.run(plan, pass: pass, state: state)
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return times.sorted()[times.count / 2]
    }

    func weight(_ name: String, _ format: WeightFormat, _ shape: [Int], _ keep: inout [Zeros]) -> WeightTensor {
        let zeros = Zeros(format.byteCount(elements: shape.reduce(1, *))!)
        keep.append(zeros)
        return WeightTensor(name: name, format: format, shape: shape, bytes: UnsafeRawBufferPointer(zeros.bytes), owner: zeros)
    }

    /// A pass of `tokens` rows: a `[tokens, width]` activation from a one-row F32 table, then
    /// `body`, whose last row alone comes back to the host (so the copy does not count).
    func graph(tokens: Int, width: Int, _ keep: inout [Zeros], _ weights: inout [WeightTensor],
               _ body: (inout ForwardGraph, ValueID) -> ValueID) -> ForwardGraph {
        var g = ForwardGraph(tokenCount: tokens)
        let table = weight("table\(width)", .f32, [1, width], &keep)
        weights.append(table)
        let x = g.op("x", .embed(scale: 1), [g.weight(table)], shape: [tokens, width])
        let y = body(&g, x)
        let columns = g[y].shape.last!
        g.markOutput(tokens == 1 ? y : g.op("last", .rows(start: tokens - 1, count: 1), [y], shape: [1, columns]))
        return g
    }

    /// Seconds of the pass without `body` (the embedding and the copy back), to subtract.
    func baseline(tokens: Int, width: Int, _ keep: inout [Zeros], _ weights: inout [WeightTensor]) throws -> Double {
        try seconds(graph(tokens: tokens, width: width, &keep, &weights) { _, x in x }, weights: weights)
    }

    func run() throws -> [String] {
        var keep: [Zeros] = [], weights: [WeightTensor] = []
        var lines: [String] = []
        // Dependent dispatches: chains of `scale` ops, each reading what the one before wrote.
        func chain(_ n: Int) throws -> Double {
            let g = graph(tokens: 1, width: 64, &keep, &weights) { g, x in
                var y = x
                for i in 0..<n { y = g.op("s\(i)", .scale(1), [y], shape: [1, 64]) }
                return y
            }
            return try seconds(g, weights: weights)
        }
        let long = 2000, short = 20
        let perDispatch = (try chain(long) - chain(short)) / Double(long - short)
        lines.append("dependent dispatch (with the barrier before it): \(fixed(perDispatch * 1e6, 2)) µs (chains of \(short) and \(long) scale ops, difference)")

        // Matrix-vector streaming: one token against a large weight, per format.
        let rows = backend.runsOnRealHardware ? 16_384 : 2_048, k = backend.runsOnRealHardware ? 8_192 : 2_048
        var rates: [Double] = []
        let vectorBase = try baseline(tokens: 1, width: k, &keep, &weights)
        for format in [WeightFormat.f16, .q8_0, .q4_0, .q4K] {
            let w = weight("w_\(format)", format, [rows, k], &keep)
            weights.append(w)
            let g = graph(tokens: 1, width: k, &keep, &weights) { g, x in g.op("mv", .matmul, [x, g.weight(w)], shape: [1, rows]) }
            let t = try seconds(g, weights: weights) - vectorBase
            let bytes = Double(format.byteCount(elements: rows * k)!)
            rates.append(bytes / t)
            lines.append("matrix-vector \(format) [\(rows) × \(k)], \(fixed(bytes / 1e6, 0)) MB: \(fixed(bytes / t / 1e9, 1)) GB/s")
        }
        let sorted = rates.sorted()
        lines.append("matrix-vector streaming, median over formats: \(fixed((sorted[1] + sorted[2]) / 2e9, 1)) GB/s")

        // Prefill-shaped matrix products.
        let n = 512, side = backend.runsOnRealHardware ? 4_096 : 1_024
        let productBase = try baseline(tokens: n, width: side, &keep, &weights)
        for format in [WeightFormat.f16, .q4_0] {
            let w = weight("g_\(format)", format, [side, side], &keep)
            weights.append(w)
            let g = graph(tokens: n, width: side, &keep, &weights) { g, x in g.op("mm", .matmul, [x, g.weight(w)], shape: [n, side]) }
            let t = try seconds(g, weights: weights) - productBase
            lines.append("matrix product \(format) [\(n) × \(side)] · [\(side) × \(side)]ᵀ: \(fixed(2 * Double(n * side * side) / t / 1e9, 1)) GFLOP/s")
        }
        return lines
    }

    private func fixed(_ x: Double, _ digits: Int) -> String {
        let scale = pow(10, Double(digits))
        return String(Double(Int((x * scale).rounded())) / scale)
    }
}
