import XCTest
import Switchyard
import SwitchyardReference
import SwitchyardBLAS
import SwitchyardNeuralAccelerator

/// The backend conformance suite: every op of every backend under test against the reference, on
/// fresh random inputs (never zeros; a seed per case), over many shapes: odd sizes, decode (n = 1)
/// and prefill (n > 1), every weight format for `matmul` and `embed`, both RoPE layouts with
/// partial rotation, attention with GQA, MQA, sliding windows, soft-capping and start positions
/// past 0. Each case runs through `OpHarness` (a one-op graph, planned and executed with poisoned
/// outputs) on the backend and on the reference, and is compared by NMSE = Σ(a − b)² / Σb².
///
/// A NaN anywhere in an output fails (poisoned outputs reveal elements a kernel never wrote). Ops a
/// backend refuses are skipped for it and listed in the test log with its reason. Kinds that may
/// write over their first input (`OpKind.mayOverwriteFirstInput`) run each case a second time with
/// the output in shared activation memory, and must give the same output bit for bit.
final class ConformanceTests: XCTestCase {
    /// The backends checked against the reference. Adding a backend is one line here.
    static let backendsUnderTest: [any Backend] = [
        ReferenceBackend(),
        SplitTestBackend(),
        BLASBackend(threads: 2),
        // The int16 activation mode: its decode products stay within the f32 NMSE tolerance too
        // (the element bound it derives is pinned by CPUKernelTests).
        BLASBackend(threads: 2, activations: .int16),
        AcceleratorBackend(threads: 2),
    ] + VulkanUnderTest.list

    /// NMSE allowed on f32 paths (and on quantized weights, which both sides dequantize the same):
    /// a Float accumulation against the reference's Double stays orders of magnitude below it.
    static let f32Tolerance = 1e-7

    /// Backends whose arithmetic is looser by design check every output element against the bound
    /// their specification derives, from the inputs the op saw, instead of the f32 NMSE tolerance.
    /// One line per such backend.
    static let elementBounds: [String: @Sendable (OpCase, [[Float]], [Float]) -> [Double]?] = [
        "accelerator": AcceleratorBounds.bounds,
    ]


    /// The ground truth.
    let oracle = ReferenceBackend()

    // MARK: - One test per op kind

    func testEmbedConformance() throws { try check(Cases.embed) }
    func testRMSNormConformance() throws { try check(Cases.rmsNorm) }
    func testMatmulConformance() throws { try check(Cases.matmul) }
    func testRopeConformance() throws { try check(Cases.rope) }
    func testAttentionConformance() throws { try check(Cases.attention) }
    func testKVWriteConformance() throws { try check(Cases.kvWrite) }
    func testAddConformance() throws { try check(Cases.add) }
    func testMulConformance() throws { try check(Cases.mul) }
    func testScaleConformance() throws { try check(Cases.scale) }
    func testSiluConformance() throws { try check(Cases.silu) }
    func testGeluConformance() throws { try check(Cases.gelu) }
    func testSwigluConformance() throws { try check(Cases.swiglu) }
    func testGegluConformance() throws { try check(Cases.geglu) }
    func testSoftmaxConformance() throws { try check(Cases.softmax) }
    func testSoftcapConformance() throws { try check(Cases.softcap) }
    func testRowsConformance() throws { try check(Cases.rows) }

    /// Every op kind has its cases, with at least five shapes, decode and prefill among them, so a
    /// new op kind cannot slip past the suite.
    func testEveryOpKindHasEnoughCases() {
        let byKind = Dictionary(grouping: Cases.all, by: \.op.kind)
        for kind in OpKind.allCases {
            let cases = byKind[kind] ?? []
            XCTAssertGreaterThanOrEqual(cases.count, 5, "\(kind.rawValue): \(cases.count) conformance cases")
            XCTAssert(cases.contains { $0.tokens.count == 1 }, "\(kind.rawValue): no decode (n = 1) case")
            XCTAssert(cases.contains { $0.tokens.count > 1 }, "\(kind.rawValue): no prefill (n > 1) case")
        }
        for format in WeightFormat.allCases {
            XCTAssert(Cases.matmul.contains { $0.inputs.contains { if case .weight(format, _, _) = $0 { return true } else { return false } } },
                      "no matmul case in \(format)")
            XCTAssert(Cases.embed.contains { $0.inputs.contains { if case .weight(format, _, _) = $0 { return true } else { return false } } },
                      "no embed case in \(format)")
        }
    }

    /// Every backend under test has its own name (the harness and the planner route by name).
    func testBackendsUnderTestHaveDistinctNames() {
        let names = Self.backendsUnderTest.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "backend names \(names)")
    }

    /// The harness hands the backend only the op under test, on the same inputs for every backend,
    /// and a backend on another unit gets them through a real transfer: a matmul on the split
    /// backend is the embedding of x on the reference, one transfer (x), then the matmul; on the
    /// reference alone it is one segment without transfers.
    func testHarnessHandsOnlyTheOpUnderTestToTheBackend() throws {
        let opCase = OpCase.matmul(.q8_0, n: 3, k: 64, m: 5)
        guard case .ran(let split) = try OpHarness.run(opCase, on: SplitTestBackend()),
              case .ran(let reference) = try OpHarness.run(opCase, on: oracle) else { return XCTFail("matmul refused") }
        XCTAssertEqual(split.plan.assignment, ["reference", "splittest"])
        XCTAssertEqual(split.plan.transfers.map(\.name), ["input0"])
        XCTAssertEqual(split.transferCount, 1)
        XCTAssertEqual(reference.plan.segments.count, 1)
        XCTAssertEqual(reference.transferCount, 0)
        XCTAssertEqual(split.inputs, reference.inputs, "the same inputs on every backend")
        // Another shape draws other numbers.
        guard case .ran(let other) = try OpHarness.run(.matmul(.q8_0, n: 3, k: 64, m: 6), on: oracle) else { return XCTFail("matmul refused") }
        XCTAssertNotEqual(other.inputs[0], reference.inputs[0], "seeds differ per shape")
        XCTAssertFalse(reference.inputs[0].contains(0), "activations are never zero")
    }

    // MARK: - The check

    /// Runs `cases` on every backend under test and on the reference and compares them.
    private func check(_ cases: [OpCase], file: StaticString = #filePath, line: UInt = #line) throws {
        precondition(!cases.isEmpty)
        let kind = cases[0].op.kind
        var expected: [Int: [Float]] = [:]
        for backend in Self.backendsUnderTest {
            let tolerance = Self.f32Tolerance
            var skipped: [String: Int] = [:]
            var ran = 0, inPlace = 0
            var worst: (nmse: Double, what: String) = (0, "")
            var worstBoundRatio = 0.0
            for (index, opCase) in cases.enumerated() {
                let what = "\(backend.name) \(opCase)"
                let outcome: OpOutcome
                do {
                    outcome = try OpHarness.run(opCase, on: backend)
                } catch {
                    XCTFail("\(what): threw \(error)", file: file, line: line)
                    continue
                }
                guard case .ran(let run) = outcome else {
                    if case .unsupported(let reason) = outcome { skipped[reason, default: 0] += 1 }
                    continue
                }
                ran += 1
                if expected[index] == nil {
                    guard case .ran(let truth) = try OpHarness.run(opCase, on: oracle) else {
                        XCTFail("reference refuses \(opCase)", file: file, line: line)
                        continue
                    }
                    let nans = truth.output.filter(\.isNaN).count
                    XCTAssertEqual(nans, 0, "reference \(opCase): \(nans) NaN in the expected output", file: file, line: line)
                    expected[index] = truth.output
                }
                let truth = expected[index]!
                guard run.output.count == truth.count else {
                    XCTFail("\(what): \(run.output.count) values, the reference gives \(truth.count)", file: file, line: line)
                    continue
                }
                let nans = run.output.indices.filter { run.output[$0].isNaN }
                if !nans.isEmpty {
                    XCTFail("\(what): \(nans.count) of \(run.output.count) outputs are NaN (unwritten?), first at \(nans.prefix(5))",
                            file: file, line: line)
                    continue
                }
                if kind.mayOverwriteFirstInput {
                    // Again with the output in the session's activation block, where it may be input 0's bytes.
                    guard case .ran(let shared) = try OpHarness.run(opCase, on: backend, sharedMemory: true) else { continue }
                    inPlace += shared.plan.hostMemory.inPlaceCount
                    XCTAssertEqual(shared.output, run.output, "\(what): differs when written over its input", file: file, line: line)
                }
                let nmse = OpHarness.nmse(run.output, truth)
                if nmse > worst.nmse || worst.what.isEmpty { worst = (nmse, opCase.shape) }
                if let boundsFor = Self.elementBounds[backend.name] {
                    guard let bounds = boundsFor(opCase, run.inputs, truth) else {
                        XCTFail("\(what): no error bound for this op kind", file: file, line: line)
                        continue
                    }
                    var worstRatio = (ratio: 0.0, index: 0)
                    for i in truth.indices {
                        let ratio = abs(Double(run.output[i]) - Double(truth[i])) / bounds[i]
                        if !(ratio <= worstRatio.ratio) { worstRatio = (ratio, i) }
                    }
                    worstBoundRatio = max(worstBoundRatio, worstRatio.ratio)
                    if !(worstRatio.ratio <= 1) {
                        let i = worstRatio.index
                        XCTFail("\(what): [\(i)] is \(run.output[i]), the reference \(truth[i]): off by \(abs(Double(run.output[i]) - Double(truth[i]))), beyond the derived bound \(bounds[i])", file: file, line: line)
                    }
                } else if !(nmse <= tolerance) {
                    let worstIndex = run.output.indices.max { abs(run.output[$0] - truth[$0]) < abs(run.output[$1] - truth[$1]) }!
                    XCTFail("\(what): NMSE \(nmse) > \(tolerance); largest difference at [\(worstIndex)]: "
                            + "\(run.output[worstIndex]) vs reference \(truth[worstIndex])", file: file, line: line)
                }
            }
            if ran > 0 {
                print("conformance: \(backend.name) \(kind.rawValue): \(ran) cases, worst NMSE \(worst.nmse) (\(worst.what))"
                      + (Self.elementBounds[backend.name] != nil ? ", largest error / derived bound \(worstBoundRatio)" : "")
                      + (kind.mayOverwriteFirstInput ? ", \(inPlace) also run in place" : ""))
                if kind.mayOverwriteFirstInput && backend.unit == .cpu {
                    XCTAssertGreaterThan(inPlace, 0, "\(backend.name) \(kind.rawValue): no case ran in place", file: file, line: line)
                }
            }
            for (reason, count) in skipped.sorted(by: { $0.key < $1.key }) {
                print("conformance: \(backend.name) skips \(kind.rawValue) (\(count) of \(cases.count) cases): \(reason)")
            }
        }
    }
}

/// The shapes each op is checked on.
private enum Cases {
    static var all: [OpCase] {
        embed + rmsNorm + matmul + rope + attention + kvWrite + add + mul + scale + silu + gelu + swiglu + geglu
            + softmax + softcap + rows
    }

    /// Every format; one token, several with repeats, out-of-order ids, a one-row table, scales.
    static let embed: [OpCase] = WeightFormat.allCases.flatMap { format -> [OpCase] in
        let unit = format.blockSize == 1 ? 1 : format.blockSize
        let odd = format.blockSize == 1 ? 45 : 2 * unit
        return [
            .embed(format, vocabulary: 5, d: odd, tokens: [3]),
            .embed(format, vocabulary: 40, d: 3 * unit + (unit == 1 ? 4 : 0), tokens: [7, 0, 39, 7, 12, 3, 3]),
            .embed(format, vocabulary: 1, d: unit == 1 ? 64 : unit, tokens: [0, 0, 0]),
            .embed(format, vocabulary: 100, d: odd, tokens: [99, 1, 50, 2, 98, 3, 97, 4, 96, 5, 95, 6, 94, 7, 93, 8], scale: 24),
            .embed(format, vocabulary: 9, d: unit == 1 ? 7 : unit, tokens: [8, 1], scale: 0.5),
        ]
    }

    /// Whole rows and per-head widths; an f16 weight once.
    static let rmsNorm: [OpCase] = [
        .rmsNorm(n: 1, columns: 64, width: 64),
        .rmsNorm(n: 3, columns: 45, width: 45, eps: 1e-5),
        .rmsNorm(n: 5, columns: 96, width: 32),
        .rmsNorm(n: 1, columns: 7, width: 7),
        .rmsNorm(n: 16, columns: 256, width: 64, eps: 1e-6),
        .rmsNorm(n: 2, columns: 576, width: 576, eps: 1e-5, weightFormat: .f16),
        .rmsNorm(n: 4, columns: 12, width: 1),
    ]

    /// Every format: k one block up to four blocks (odd k for plain floats), m odd, n = 1 and more.
    static let matmul: [OpCase] = WeightFormat.allCases.flatMap { format -> [OpCase] in
        let shapes: [(n: Int, k: Int, m: Int)]
        if format.isQuantized {
            let b = format.blockSize
            shapes = [(1, b, 5), (1, 3 * b, 37), (2, 2 * b, 1), (7, b, 19), (16, 2 * b, 64), (3, 4 * b, 9)]
        } else {
            shapes = [(1, 13, 5), (1, 45, 37), (2, 64, 1), (7, 31, 19), (16, 129, 64), (3, 1, 9)]
        }
        return shapes.map { .matmul(format, n: $0.n, k: $0.k, m: $0.m) }
    }

    /// Both layouts, full and partial rotation, bases from llama to Gemma's, linear scaling, start
    /// positions past 0.
    static let rope: [OpCase] = [
        .rope(RopeParameters(heads: 1, headDim: 4, rotatedDims: 4, base: 10_000, layout: .normal), n: 1, start: 0),
        .rope(RopeParameters(heads: 3, headDim: 64, rotatedDims: 64, base: 10_000, layout: .normal), n: 5, start: 0),
        .rope(RopeParameters(heads: 2, headDim: 64, rotatedDims: 32, base: 500_000, layout: .normal), n: 1, start: 37),
        .rope(RopeParameters(heads: 4, headDim: 32, rotatedDims: 32, base: 1_000_000, layout: .neox), n: 7, start: 3),
        .rope(RopeParameters(heads: 1, headDim: 256, rotatedDims: 128, base: 10_000, layout: .neox), n: 2, start: 100),
        .rope(RopeParameters(heads: 2, headDim: 16, rotatedDims: 8, base: 10_000, frequencyScale: 0.25, layout: .neox), n: 1, start: 1000),
        .rope(RopeParameters(heads: 3, headDim: 6, rotatedDims: 2, base: 10_000, layout: .normal), n: 9, start: 11),
    ]

    /// MHA, GQA (9/3 as SmolLM2), MQA (4/1 as Gemma 3), sliding windows (down to 1), soft-capping,
    /// decode and prefill at start 0 and later, caches larger than what is filled, and ring caches.
    static let attention: [OpCase] = [
        .attention(AttentionParameters(heads: 2, kvHeads: 2, headDim: 16, scale: 0.25), n: 1, start: 0),
        .attention(AttentionParameters(heads: 9, kvHeads: 3, headDim: 64, scale: 0.125), n: 5, start: 0, capacity: 8),
        .attention(AttentionParameters(heads: 4, kvHeads: 2, headDim: 32, scale: 1 / Float(32).squareRoot()), n: 1, start: 20),
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 64, scale: 0.125), n: 3, start: 7, capacity: 16),
        .attention(AttentionParameters(heads: 4, kvHeads: 2, headDim: 16, scale: 0.25, window: 4), n: 6, start: 10),
        .attention(AttentionParameters(heads: 2, kvHeads: 1, headDim: 8, scale: 0.5, window: 1), n: 3, start: 2),
        .attention(AttentionParameters(heads: 2, kvHeads: 1, headDim: 32, scale: 1, softcap: 2), n: 4, start: 5, amplitude: 2),
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 24, scale: 0.2, window: 8, softcap: 5), n: 1, start: 30, capacity: 40),
        // Sliding-window caches as rings of the window plus one batch (Gemma 3's local layers).
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 16, scale: 0.25, window: 4), n: 3, start: 20, capacity: 7),
        .attention(AttentionParameters(heads: 2, kvHeads: 1, headDim: 32, scale: 0.2, window: 5), n: 1, start: 13, capacity: 6),
        // Prefill-sized passes over rings: the span wraps (read in two runs of rows), or starts mid-ring.
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 32, scale: 0.2, window: 8), n: 8, start: 20, capacity: 16),
        .attention(AttentionParameters(heads: 2, kvHeads: 1, headDim: 16, scale: 0.25, window: 4), n: 6, start: 9, capacity: 10),
        .attention(AttentionParameters(heads: 2, kvHeads: 1, headDim: 16, scale: 0.25, window: 4), n: 6, start: 4, capacity: 10),
        .attention(AttentionParameters(heads: 3, kvHeads: 3, headDim: 8, scale: 0.3, window: 70), n: 70, start: 75, capacity: 140),
        // Decode over long spans (the positions shared across threads and the shares combined).
        .attention(AttentionParameters(heads: 6, kvHeads: 2, headDim: 32, scale: 0.18), n: 1, start: 200),
        .attention(AttentionParameters(heads: 2, kvHeads: 1, headDim: 16, scale: 0.25, softcap: 4), n: 2, start: 90, amplitude: 3),
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 24, scale: 0.2, window: 100), n: 3, start: 150, capacity: 103),
        // Several 64-row blocks, each computing only the positions its rows see.
        .attention(AttentionParameters(heads: 2, kvHeads: 1, headDim: 16, scale: 0.25, softcap: 3), n: 130, start: 6, amplitude: 2),
        // Real shapes, long spans: prefill tiles straddling the window edge and the ring's wrap
        // (Gemma 3: MQA 4/1, headDim 256, window 512; SmolLM2: GQA 9/3, headDim 64).
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 256, scale: 0.0625, window: 512), n: 100, start: 500, capacity: 612),
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 256, scale: 0.0625, window: 512), n: 100, start: 600, capacity: 612),
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 256, scale: 0.0625, window: 512), n: 1, start: 1300, capacity: 612),
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 256, scale: 0.0625, softcap: 5), n: 37, start: 3, amplitude: 3),
        .attention(AttentionParameters(heads: 9, kvHeads: 3, headDim: 64, scale: 0.125, window: 512), n: 100, start: 500, capacity: 612),
        .attention(AttentionParameters(heads: 9, kvHeads: 3, headDim: 64, scale: 0.125), n: 1, start: 1100),
        // Decode over caches longer than the span so far (a GPU splits the cache's longest span
        // over workgroups; those past this pass's span have nothing to add).
        .attention(AttentionParameters(heads: 4, kvHeads: 2, headDim: 32, scale: 0.2), n: 2, start: 300, capacity: 900),
        .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 256, scale: 0.0625, window: 512, softcap: 5), n: 1, start: 100, capacity: 612),
        .attention(AttentionParameters(heads: 9, kvHeads: 3, headDim: 64, scale: 0.125), n: 77, start: 1000),
        .attention(AttentionParameters(heads: 6, kvHeads: 2, headDim: 24, scale: 0.2, window: 20), n: 45, start: 30, capacity: 64),
    ]

    /// Decode and prefill, at 0 and later, filling the cache exactly and not, and wrapping a ring.
    static let kvWrite: [OpCase] = [
        .kvWrite(n: 1, start: 0, columns: 16, capacity: 4),
        .kvWrite(n: 5, start: 0, columns: 48, capacity: 8),
        .kvWrite(n: 1, start: 9, columns: 32, capacity: 12),
        .kvWrite(n: 7, start: 3, columns: 64, capacity: 10),
        .kvWrite(n: 2, start: 5, columns: 7, capacity: 16),
        .kvWrite(n: 3, start: 6, columns: 16, capacity: 7),   // a ring: positions 7 and 8 wrap to rows 0 and 1
    ]

    static let add: [OpCase] = binary(.add)
    static let mul: [OpCase] = binary(.mul)

    /// Same shapes, a broadcast weight vector and a broadcast one-row activation.
    static func binary(_ op: Op) -> [OpCase] {
        [
            .binary(op, n: 1, columns: 64, operand: .same),
            .binary(op, n: 3, columns: 45, operand: .same),
            .binary(op, n: 5, columns: 96, operand: .weightVector),
            .binary(op, n: 1, columns: 7, operand: .weightVector),
            .binary(op, n: 16, columns: 33, operand: .same),
            .binary(op, n: 4, columns: 128, operand: .rowVector),
        ]
    }

    /// Five shapes of a one-input op.
    static func unary(_ op: Op, amplitude: Float = 4) -> [OpCase] {
        [(1, 1), (1, 64), (3, 45), (7, 256), (16, 7)].map { .unary(op, n: $0.0, columns: $0.1, amplitude: amplitude) }
    }

    static let scale: [OpCase] = unary(.scale(0.125)) + unary(.scale(-3))
    static let silu: [OpCase] = unary(.silu, amplitude: 8)
    static let gelu: [OpCase] = unary(.gelu, amplitude: 6)
    static let softmax: [OpCase] = unary(.softmax, amplitude: 10)
    static let softcap: [OpCase] = unary(.softcap(5), amplitude: 20) + unary(.softcap(30), amplitude: 50)

    static func gated(_ op: Op) -> [OpCase] {
        [(1, 64), (3, 45), (5, 1536), (1, 7), (16, 96)].map { .gated(op, n: $0.0, columns: $0.1) }
    }

    static let swiglu: [OpCase] = gated(.swiglu)
    static let geglu: [OpCase] = gated(.geglu)

    static let rows: [OpCase] = [
        .rows(n: 1, columns: 64, start: 0, count: 1),
        .rows(n: 5, columns: 45, start: 4, count: 1),
        .rows(n: 8, columns: 16, start: 2, count: 3),
        .rows(n: 3, columns: 7, start: 0, count: 3),
        .rows(n: 16, columns: 128, start: 15, count: 1),
    ]
}
