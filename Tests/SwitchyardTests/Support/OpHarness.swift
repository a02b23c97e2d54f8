import Switchyard
import SwitchyardModels
import SwitchyardReference

/// Runs ONE op on one backend, the way a real pass would: a small `ForwardGraph` holding the op,
/// planned by `Planner` and run by `Executor` with poisoned outputs (every host output starts as
/// NaN, so an element a kernel forgets to write shows up).
///
/// Every input is made by the graph itself from seeded random data (never zeros; the seed comes
/// from the case's description, so each case and shape draws different numbers):
///
/// - an activation `[n, c]` is an `embed` of an F32 table with the pass's tokens (embed copies F32
///   rows exactly), so it reaches the op under test the way the token embedding does in a model;
/// - a one-row activation `[1, c]` is `rows(0, 1)` of such an embedding;
/// - a weight is random data in its format: plain floats through `HalfFloat`, quantized formats as
///   random valid blocks with small finite f16 scales (the truth is then defined on those very
///   quantized weights, which the reference dequantizes);
/// - a KV cache is filled by first passes (`embed` + `kvWrite` of random rows at positions
///   0..<filled, in passes of at most the cache's rows) run on the same `SessionState`, so the pass
///   under test finds it as a real decode or a chunked prefill would. A cache is a ring: position p
///   lives in row p % rows (a sliding-window cache of the window plus one batch wraps; a cache as
///   long as the context never does).
///
/// Only the op under test goes to the backend under test: the policy routes its kind there and
/// everything else (the helper `embed`, `rows` and `kvWrite` ops) to the helper backend, the
/// reference. So a backend that refuses `embed` can still be checked on `matmul`, and a backend on
/// another compute unit gets its inputs through real transfers (`upload`) and gives its output back
/// through `download`. When the op under test is itself `kvWrite`, the preload passes' `kvWrite`
/// runs on the backend under test too.
enum OpHarness {
    /// The backend that runs the helper ops.
    static let helper: any Backend = ReferenceBackend()

    /// Runs `opCase` on `backend`.
    /// - Returns: `.unsupported(reason)` when the backend refuses the op, else the output and the
    ///   inputs the op saw.
    /// - Throws: whatever planning or execution throws (e.g. `ExecutionError.contextOverflow`).
    /// - Parameter sharedMemory: run without poisoning, so outputs take their places in the
    ///   session's activation block, and pass an activation result through a helper `rows` op, so
    ///   that the op's output is not the graph's (and may be written over its dying input 0).
    static func run(_ opCase: OpCase, on backend: any Backend, helper: any Backend = OpHarness.helper,
                    sharedMemory: Bool = false) throws -> OpOutcome {
        let built = try BuiltCase(opCase, copyingResult: sharedMemory)
        let node = built.graph.nodes.first { $0.name == "op" }!
        if case .unsupported(let reason) = backend.support(for: node, in: built.graph) { return .unsupported(reason) }

        let backends: [any Backend]
        let policy: RoutingPolicy
        if backend.name == helper.name {
            backends = [backend]
            policy = RoutingPolicy([backend.name])
        } else {
            backends = [backend, helper]
            policy = RoutingPolicy([helper.name], routes: [opCase.op.kind: [backend.name]])
        }
        let planner = try Planner(policy: policy, backends: backends)
        let plan = try planner.plan(built.graph)
        guard plan.assignment[node.index] == backend.name else {
            throw HarnessError.misrouted(opCase.description, to: plan.assignment[node.index], expected: backend.name)
        }

        let weights = built.weights
        let executor = Executor(weights: WeightCache { weights[$0] }, poisonOutputs: !sharedMemory)
        let state = SessionState()
        for (preload, start) in built.preloads {
            let tokens = (0..<preload.tokenCount).map { Int32($0) }
            _ = try executor.run(try planner.plan(preload), pass: PassContext(tokens: tokens, startPosition: start), state: state)
        }
        let outputs = try executor.run(plan, pass: PassContext(tokens: opCase.tokens, startPosition: opCase.startPosition),
                                       state: state)
        let output = built.graph.outputs.flatMap { outputs[$0]!.array }
        return .ran(OpRun(output: output, inputs: built.inputValues, cachesBefore: built.cachesBefore, plan: plan,
                          transferCount: state.transferCount))
    }

    /// Normalised mean squared error of `actual` against `expected`: Σ(a − e)² / Σe², in Double.
    /// 0 when both are all zeros; infinity when only `expected` is.
    static func nmse(_ actual: [Float], _ expected: [Float]) -> Double {
        precondition(actual.count == expected.count, "nmse: \(actual.count) values against \(expected.count)")
        var error = 0.0, power = 0.0
        for (a, e) in zip(actual, expected) {
            let d = Double(a) - Double(e)
            error += d * d
            power += Double(e) * Double(e)
        }
        if power == 0 { return error == 0 ? 0 : .infinity }
        return error / power
    }

    /// `count` uniform values in [−amplitude, amplitude], never exactly zero.
    static func randomValues(_ count: Int, amplitude: Float, using rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in
            var v: Float = 0
            while v == 0 { v = Float(2 * rng.nextUnit() - 1) * amplitude }
            return v
        }
    }

    /// Random bytes of a `format` tensor of `count` elements. Plain floats: uniform values in ±1 (or
    /// `values`). Quantized formats: random quants with small finite f16 scales, so dequantized
    /// values are of order 1.
    static func randomWeightBytes(_ format: WeightFormat, count: Int, values: [Float]? = nil,
                                  using rng: inout SeededGenerator) -> [UInt8] {
        precondition(values == nil || (!format.isQuantized && values!.count == count), "explicit values: plain float formats, \(count) of them")
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func floats() -> [Float] { values ?? randomValues(count, amplitude: 1, using: &rng) }
        /// An f16 scale of magnitude in [low, high), negative too when `signed`.
        func scale(_ low: Double, _ high: Double, signed: Bool = true) -> [UInt8] {
            var v = low + (high - low) * rng.nextUnit()
            if signed && rng.next() & 1 == 1 { v = -v }
            return le(HalfFloat.fp16(from: Float(v)))
        }
        switch format {
        case .f32: return floats().flatMap { le($0.bitPattern) }
        case .f16: return floats().flatMap { le(HalfFloat.fp16(from: $0)) }
        case .bf16: return floats().flatMap { le(HalfFloat.bf16(from: $0)) }
        default: break
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(format.byteCount(elements: count)!)
        for _ in 0..<count / format.blockSize {
            var block = (0..<format.blockBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            func put(_ field: [UInt8], at offset: Int) { block.replaceSubrange(offset..<offset + field.count, with: field) }
            switch format {
            case .q4_0: put(scale(0.02, 0.2), at: 0)                         // (q − 8) · d
            case .q4_1: put(scale(0.02, 0.2, signed: false), at: 0); put(scale(0, 1.5), at: 2)   // q · d + m
            case .q5_0: put(scale(0.01, 0.1), at: 0)                         // (q − 16) · d
            case .q8_0: put(scale(0.001, 0.01), at: 0)                       // q · d
            case .q4K: put(scale(0.0005, 0.003, signed: false), at: 0); put(scale(0.0005, 0.003, signed: false), at: 2)
            case .q6K: put(scale(0.0002, 0.001), at: 208)                    // d · scale · (q − 32)
            case .f32, .f16, .bf16: break
            }
            bytes += block
        }
        return bytes
    }

    /// FNV-1a of `text`: a seed that depends only on the text (Swift's `hashValue` changes per run).
    static func seed(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }
}

/// One input of the op under test, in the op's input order (see `Op`'s doc comments).
enum OpInput {
    /// An activation `[n, columns]`: the rows of an F32 table picked by the pass's tokens. `table`
    /// gives the table (row-major, `columns` wide, a row for every token id up to the largest);
    /// nil: random values.
    case activation(columns: Int, table: [Float]? = nil)
    /// A one-row activation `[1, columns]` (the broadcast operand of `add` and `mul`).
    case rowVector(columns: Int)
    /// A weight of `shape` in `format`: `values` for plain float formats, else random.
    case weight(WeightFormat, shape: [Int], values: [Float]? = nil)
    /// A KV cache `[capacity, columns]` holding random values at positions 0..<filled (position p
    /// in row p % capacity); rows never written are zero.
    case cache(capacity: Int, columns: Int, filled: Int)
}

/// What the op under test produces.
enum OpResult {
    /// A new activation of `shape`.
    case activation(shape: [Int])
    /// `kvWrite`'s two caches `[capacity, columns]`, positions 0..<filled preloaded with random values.
    case caches(capacity: Int, columns: Int, filled: Int)
}

/// One op on one shape: what the harness runs.
struct OpCase: CustomStringConvertible {
    var op: Op
    /// The shape and parameters, readable ("x[3,96] w[37,96] Q4_0").
    var shape: String
    /// The pass's token ids (one per graph row); they pick the activation rows and `embed`'s rows.
    var tokens: [Int32]
    var startPosition: Int = 0
    var inputs: [OpInput]
    var result: OpResult
    /// Random activations are uniform in ±amplitude.
    var amplitude: Float = 1

    var description: String { "\(op.kind.rawValue) \(shape)" }
    /// Derived from the description, so every case and shape draws different numbers.
    var seed: UInt64 { OpHarness.seed(description) }
}

/// What one run gives back.
struct OpRun {
    /// The op's output, row-major; for `kvWrite`, the K cache followed by the V cache.
    let output: [Float]
    /// Each input's values as the op saw them: activations row-major, weights dequantized, caches
    /// `[capacity, columns]` as the first passes left them.
    let inputs: [[Float]]
    /// For `kvWrite`: each cache as the first passes left it, before the op wrote into it.
    let cachesBefore: [[Float]]
    /// The plan of the pass under test.
    let plan: Plan
    /// Transfers counted over both passes.
    let transferCount: Int
}

enum OpOutcome {
    case ran(OpRun)
    case unsupported(String)
}

enum HarnessError: Error, CustomStringConvertible {
    case misrouted(String, to: String, expected: String)
    var description: String {
        switch self {
        case .misrouted(let what, let to, let expected): return "\(what) was planned on \(to), not \(expected)"
        }
    }
}

/// Keeps the bytes of a harness weight alive.
/// Sendable: filled once, read-only afterwards.
final class HarnessBytes: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    init(_ bytes: [UInt8]) {
        buffer = .allocate(byteCount: max(bytes.count, 1), alignment: 64)
        buffer.copyBytes(from: bytes)
    }
    deinit { buffer.deallocate() }
}

/// The graphs, weights and input values of one case.
private struct BuiltCase {
    var graph: ForwardGraph
    /// The passes that fill the caches first, with their start positions.
    var preloads: [(graph: ForwardGraph, start: Int)] = []
    var weights: [String: WeightTensor] = [:]
    var inputValues: [[Float]] = []
    var cachesBefore: [[Float]] = []

    /// - Parameter copyingResult: the graph's output is a `rows` copy of the op's activation result.
    init(_ c: OpCase, copyingResult: Bool = false) throws {
        var rng = SeededGenerator(seed: c.seed)
        let n = c.tokens.count
        let vocabulary = Int(max(c.tokens.max() ?? 0, 0)) + 1
        graph = ForwardGraph(tokenCount: n)
        var weights: [String: WeightTensor] = [:]
        /// Caches to fill first: state name, shape and rows.
        var caches: [(name: String, capacity: Int, columns: Int, filled: Int, table: [Float])] = []

        func weight(_ name: String, _ format: WeightFormat, _ shape: [Int], values: [Float]? = nil) -> WeightTensor {
            let count = shape.reduce(1, *)
            let storage = HarnessBytes(OpHarness.randomWeightBytes(format, count: count, values: values, using: &rng))
            let tensor = WeightTensor(name: name, format: format, shape: shape,
                                      bytes: UnsafeRawBufferPointer(storage.buffer), owner: storage)
            weights[name] = tensor
            return tensor
        }
        /// The rows of `table` picked by the pass's tokens.
        func gathered(_ table: [Float], columns: Int) -> [Float] {
            c.tokens.flatMap { table[Int($0) * columns ..< (Int($0) + 1) * columns] }
        }
        /// Random rows for positions 0..<filled, and the cache they leave: position p in row p % capacity.
        func cache(_ name: String, capacity: Int, columns: Int, filled: Int) -> [Float] {
            let table = OpHarness.randomValues(filled * columns, amplitude: c.amplitude, using: &rng)
            caches.append((name, capacity, columns, filled, table))
            var contents = [Float](repeating: 0, count: capacity * columns)
            for p in 0..<filled {
                contents.replaceSubrange(p % capacity * columns ..< (p % capacity + 1) * columns, with: table[p * columns ..< (p + 1) * columns])
            }
            return contents
        }

        var inputs: [ValueID] = []
        for (i, input) in c.inputs.enumerated() {
            switch input {
            case .activation(let columns, let given):
                let table = given ?? OpHarness.randomValues(vocabulary * columns, amplitude: c.amplitude, using: &rng)
                precondition(table.count == vocabulary * columns, "\(c): table of input \(i) needs \(vocabulary) rows of \(columns)")
                let w = graph.weight(weight("input\(i).table", .f32, [vocabulary, columns], values: table))
                inputs.append(graph.op("input\(i)", .embed(scale: 1), [w], shape: [n, columns]))
                inputValues.append(gathered(table, columns: columns))
            case .rowVector(let columns):
                let table = OpHarness.randomValues(vocabulary * columns, amplitude: c.amplitude, using: &rng)
                let w = graph.weight(weight("input\(i).table", .f32, [vocabulary, columns], values: table))
                let rows = graph.op("input\(i).rows", .embed(scale: 1), [w], shape: [n, columns])
                inputs.append(graph.op("input\(i)", .rows(start: 0, count: 1), [rows], shape: [1, columns]))
                inputValues.append(Array(gathered(table, columns: columns).prefix(columns)))
            case .weight(let format, let shape, let values):
                let tensor = weight("input\(i).weight", format, shape, values: values)
                inputs.append(graph.weight(tensor))
                inputValues.append(Dequantize.rows(of: tensor, 0..<tensor.rowCount))
            case .cache(let capacity, let columns, let filled):
                let name = "cache\(i)"
                inputs.append(graph.state(name, shape: [capacity, columns]))
                inputValues.append(cache(name, capacity: capacity, columns: columns, filled: filled))
            }
        }
        switch c.result {
        case .activation(let shape):
            let result = graph.op("op", c.op, inputs, shape: shape)
            graph.markOutput(copyingResult ? graph.op("copy", .rows(start: 0, count: shape[0]), [result], shape: shape) : result)
        case .caches(let capacity, let columns, let filled):
            let k = graph.state("cache_k", shape: [capacity, columns]), v = graph.state("cache_v", shape: [capacity, columns])
            cachesBefore = [cache("cache_k", capacity: capacity, columns: columns, filled: filled),
                            cache("cache_v", capacity: capacity, columns: columns, filled: filled)]
            graph.op("op", c.op, inputs, writing: [k, v])
            graph.markOutput(k)
            graph.markOutput(v)
        }

        // The first passes: kvWrite of the random rows into the caches, two at a time (K and V), in
        // passes of at most the smallest cache's rows.
        if let filled = caches.first?.filled, filled > 0 {
            precondition(caches.count % 2 == 0 && caches.allSatisfy { $0.filled == filled }, "\(c): caches come in pairs, filled alike")
            let passRows = caches.map(\.capacity).min()!
            for start in stride(from: 0, to: filled, by: passRows) {
                let m = min(passRows, filled - start)
                var pre = ForwardGraph(tokenCount: m)
                /// Positions start..<start+m of cache `i`, as an embedded table.
                func rows(_ i: Int) -> ValueID {
                    let cache = caches[i]
                    let name = "preload.\(cache.name).\(start)"
                    let table = Array(cache.table[start * cache.columns ..< (start + m) * cache.columns])
                    return pre.op(name, .embed(scale: 1), [pre.weight(weight(name, .f32, [m, cache.columns], values: table))],
                                  shape: [m, cache.columns])
                }
                for pair in stride(from: 0, to: caches.count, by: 2) {
                    let (a, b) = (caches[pair], caches[pair + 1])
                    pre.op("preload.kvWrite\(pair / 2)", .kvWrite, [rows(pair), rows(pair + 1)],
                           writing: [pre.state(a.name, shape: [a.capacity, a.columns]), pre.state(b.name, shape: [b.capacity, b.columns])])
                }
                preloads.append((pre, start))
            }
        }
        self.weights = weights
    }
}

// MARK: - Cases

extension OpCase {
    /// Token ids 0..<n.
    static func tokens(_ n: Int) -> [Int32] { (0..<n).map { Int32($0) } }

    /// x `[n, k]` · w `[m, k]`ᵀ.
    static func matmul(_ format: WeightFormat, n: Int, k: Int, m: Int) -> OpCase {
        OpCase(op: .matmul, shape: "x[\(n),\(k)] w[\(m),\(k)] \(format)", tokens: tokens(n),
               inputs: [.activation(columns: k), .weight(format, shape: [m, k])], result: .activation(shape: [n, m]))
    }

    /// Rows `tokens` of a `[vocabulary, d]` table, times `scale`.
    static func embed(_ format: WeightFormat, vocabulary: Int, d: Int, tokens: [Int32], scale: Float = 1) -> OpCase {
        OpCase(op: .embed(scale: scale), shape: "table[\(vocabulary),\(d)] \(format) tokens \(tokens) scale \(scale)", tokens: tokens,
               inputs: [.weight(format, shape: [vocabulary, d])], result: .activation(shape: [tokens.count, d]))
    }

    /// RMS norm of `[n, columns]` over runs of `width` (`width < columns`: per head).
    static func rmsNorm(n: Int, columns: Int, width: Int, eps: Float = 1e-6, weightFormat: WeightFormat = .f32) -> OpCase {
        OpCase(op: .rmsNorm(eps: eps), shape: "x[\(n),\(columns)] w[\(width)] \(weightFormat) eps \(eps)", tokens: tokens(n),
               inputs: [.activation(columns: columns), .weight(weightFormat, shape: [width])], result: .activation(shape: [n, columns]),
               amplitude: 3)
    }

    static func rope(_ p: RopeParameters, n: Int, start: Int, values: [Float]? = nil) -> OpCase {
        let d = p.heads * p.headDim
        return OpCase(op: .rope(p), shape: "\(p.layout) x[\(n),\(p.heads)×\(p.headDim)] rotated \(p.rotatedDims) base \(p.base) "
                      + "freq×\(p.frequencyScale) start \(start)",
                      tokens: tokens(n), startPosition: start, inputs: [.activation(columns: d, table: values)],
                      result: .activation(shape: [n, d]))
    }

    /// Attention of `n` queries at positions start..<start+n over a cache of `capacity` rows (by
    /// default start + n) holding positions 0..<start+n; a smaller cache is a ring (a sliding
    /// window's: the window plus one batch).
    static func attention(_ p: AttentionParameters, n: Int, start: Int, capacity: Int? = nil, amplitude: Float = 1) -> OpCase {
        let capacity = capacity ?? start + n
        let kvWidth = p.kvHeads * p.headDim, d = p.heads * p.headDim
        return OpCase(op: .attention(p),
                      shape: "q[\(n),\(p.heads)×\(p.headDim)] kv \(p.kvHeads) heads, cache \(capacity) start \(start) "
                      + "window \(p.window.map(String.init) ?? "none") softcap \(p.softcap.map { "\($0)" } ?? "none") scale \(p.scale)",
                      tokens: tokens(n), startPosition: start,
                      inputs: [.activation(columns: d),
                               .cache(capacity: capacity, columns: kvWidth, filled: start + n),
                               .cache(capacity: capacity, columns: kvWidth, filled: start + n)],
                      result: .activation(shape: [n, d]), amplitude: amplitude)
    }

    /// `n` K and V rows of `columns` written at positions start..<start+n of caches of `capacity`
    /// rows (rings: position p in row p % capacity) that already hold positions 0..<start.
    static func kvWrite(n: Int, start: Int, columns: Int, capacity: Int) -> OpCase {
        OpCase(op: .kvWrite, shape: "k,v[\(n),\(columns)] cache \(capacity) start \(start)", tokens: tokens(n), startPosition: start,
               inputs: [.activation(columns: columns), .activation(columns: columns)],
               result: .caches(capacity: capacity, columns: columns, filled: start))
    }

    /// How the second operand of `add`/`mul` is shaped.
    enum Operand: String { case same = "same shape", weightVector = "weight vector", rowVector = "row vector" }

    /// `add` or `mul` of `[n, columns]` and an operand of the same shape or one broadcast row.
    static func binary(_ op: Op, n: Int, columns: Int, operand: Operand) -> OpCase {
        let b: OpInput
        switch operand {
        case .same: b = .activation(columns: columns)
        case .weightVector: b = .weight(.f32, shape: [columns])
        case .rowVector: b = .rowVector(columns: columns)
        }
        return OpCase(op: op, shape: "a[\(n),\(columns)] b \(operand.rawValue)", tokens: tokens(n),
                      inputs: [.activation(columns: columns), b], result: .activation(shape: [n, columns]))
    }

    /// A one-input op (`scale`, `silu`, `gelu`, `softmax`, `softcap`) over `[n, columns]`.
    static func unary(_ op: Op, n: Int, columns: Int, amplitude: Float = 4, values: [Float]? = nil) -> OpCase {
        OpCase(op: op, shape: "x[\(n),\(columns)] ±\(amplitude)\(opSuffix(op))", tokens: tokens(n),
               inputs: [.activation(columns: columns, table: values)], result: .activation(shape: [n, columns]), amplitude: amplitude)
    }

    /// `swiglu` or `geglu` of two `[n, columns]` activations.
    static func gated(_ op: Op, n: Int, columns: Int, amplitude: Float = 4) -> OpCase {
        OpCase(op: op, shape: "gate,up[\(n),\(columns)] ±\(amplitude)", tokens: tokens(n),
               inputs: [.activation(columns: columns), .activation(columns: columns)], result: .activation(shape: [n, columns]),
               amplitude: amplitude)
    }

    /// Rows start..<start+count of `[n, columns]`.
    static func rows(n: Int, columns: Int, start: Int, count: Int) -> OpCase {
        OpCase(op: .rows(start: start, count: count), shape: "x[\(n),\(columns)] rows \(start)..<\(start + count)", tokens: tokens(n),
               inputs: [.activation(columns: columns)], result: .activation(shape: [count, columns]))
    }

    private static func opSuffix(_ op: Op) -> String {
        switch op {
        case .scale(let f): return " factor \(f)"
        case .softcap(let cap): return " cap \(cap)"
        default: return ""
        }
    }
}
