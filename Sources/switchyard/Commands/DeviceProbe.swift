import Switchyard
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard devices --probe`: what a unit does with a backend's own kernels (Vulkan on a GPU, BLAS
/// on the CPU), measured on synthetic graphs (never a model): the cost of one dependent dispatch
/// (with the barrier or thread hand-off before it), the bytes per second a matrix-vector product
/// streams per weight format, and the FLOP/s of a prefill-shaped matrix product — the figures a
/// device profile for `switchyard simulate` needs (docs/device-profiles.md).
struct DeviceProbe {
    let backend: any Backend
    let repetitions = 7

    /// Zeros standing in for weights: timing does not depend on their values.
    /// Sendable: written once in init, read-only afterwards.
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
        // A GPU clocks up under load: half a second of chains first, so the figure is the loaded one.
        let long = 2000, short = 200
        let warmUp = ContinuousClock.now
        while ContinuousClock.now - warmUp < .milliseconds(500) { _ = try chain(long) }
        var perDispatch: [Double] = []
        for _ in 0..<3 { perDispatch.append((try chain(long) - chain(short)) / Double(long - short)) }
        perDispatch.sort()
        lines.append("dependent dispatch (with the barrier before it): \(fixed(perDispatch[1] * 1e6, 2)) µs (chains of \(short) and \(long) scale ops, difference; median of 3, range \(fixed(perDispatch[0] * 1e6, 2))–\(fixed(perDispatch[2] * 1e6, 2)))")

        // Matrix-vector streaming: one token against a large weight, per format.
        // Rows as wide as a small model's (576–2,048): the rate falls on much wider rows (on this
        // host's CPU, 8,192-wide rows stream at two thirds of 1,024-wide ones).
        let rows = backend.runsOnRealHardware ? 131_072 : 8_192, k = 1_024
        var rates: [Double] = []
        let vectorBase = try baseline(tokens: 1, width: k, &keep, &weights)
        for format in [WeightFormat.f16, .q8_0, .q4_0, .q4_1, .q4K, .q6K] {
            let w = weight("w_\(format)", format, [rows, k], &keep)
            weights.append(w)
            let g = graph(tokens: 1, width: k, &keep, &weights) { g, x in g.op("mv", .matmul, [x, g.weight(w)], shape: [1, rows]) }
            let t = try seconds(g, weights: weights) - vectorBase
            let bytes = Double(format.byteCount(elements: rows * k)!)
            rates.append(bytes / t)
            lines.append("matrix-vector \(format) [\(rows) × \(k)], \(fixed(bytes / 1e6, 0)) MB: \(fixed(bytes / t / 1e9, 1)) GB/s")
        }
        let sorted = rates.sorted()
        lines.append("matrix-vector streaming, median over formats: \(fixed((sorted[2] + sorted[3]) / 2e9, 1)) GB/s")

        // Dependent matrix-vector products, each reading the one before's output, through more
        // distinct weights than the last-level cache holds: a decode step as the models make them,
        // whose cost beyond its bytes (at the Q8_0 rate above) is the latency a step adds.
        let side = backend.runsOnRealHardware ? 1_024 : 256, distinct = backend.runsOnRealHardware ? 128 : 4
        let steps = (0..<distinct).map { i -> WeightTensor in
            let w = weight("step\(i)", .q8_0, [side, side], &keep)
            weights.append(w)
            return w
        }
        func products(_ n: Int) throws -> Double {
            let g = graph(tokens: 1, width: side, &keep, &weights) { g, x in
                var y = x
                for i in 0..<n { y = g.op("p\(i)", .matmul, [y, g.weight(steps[i % distinct])], shape: [1, side]) }
                return y
            }
            return try seconds(g, weights: weights)
        }
        let (longChain, shortChain) = backend.runsOnRealHardware ? (512, 64) : (16, 4)
        var perStep: [Double] = []
        for _ in 0..<3 { perStep.append((try products(longChain) - products(shortChain)) / Double(longChain - shortChain)) }
        perStep.sort()
        let stepBytes = Double(WeightFormat.q8_0.byteCount(elements: side * side)!)
        let beyond = perStep[1] - stepBytes / rates[1]
        lines.append("dependent matrix-vector step Q8_0 [\(side) × \(side)]: \(fixed(perStep[1] * 1e6, 2)) µs (chains of \(shortChain) and \(longChain) through \(distinct) weights, median of 3), \(fixed(beyond * 1e6, 2)) µs beyond its bytes at the Q8_0 rate")

        // Prefill-shaped matrix products, as wide as a small model's.
        let n = 512, k2 = 1_024, m2 = backend.runsOnRealHardware ? 4_096 : 1_024
        let productBase = try baseline(tokens: n, width: k2, &keep, &weights)
        var flops: [Double] = []
        for format in [WeightFormat.f16, .q8_0, .q4_0, .q4_1] {
            let w = weight("g_\(format)", format, [m2, k2], &keep)
            weights.append(w)
            let g = graph(tokens: n, width: k2, &keep, &weights) { g, x in g.op("mm", .matmul, [x, g.weight(w)], shape: [n, m2]) }
            let t = try seconds(g, weights: weights) - productBase
            flops.append(2 * Double(n * k2 * m2) / t)
            lines.append("matrix product \(format) [\(n) × \(k2)] · [\(m2) × \(k2)]ᵀ: \(fixed(flops.last! / 1e9, 1)) GFLOP/s")
        }
        flops.sort()
        lines.append("matrix product, median over formats: \(fixed((flops[1] + flops[2]) / 2e9, 1)) GFLOP/s")
        return lines
    }

    private func fixed(_ x: Double, _ digits: Int) -> String {
        let scale = pow(10, Double(digits))
        return String(Double(Int((x * scale).rounded())) / scale)
    }
}
