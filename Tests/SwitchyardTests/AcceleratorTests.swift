import Foundation
import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardBLAS
import SwitchyardNeuralAccelerator
import SwitchyardCPUKernels

/// The emulated neural accelerator: every refusal rule of docs/neural-accelerator.md, a second
/// implementation of the spec's arithmetic written from its text (Swift's own `Float16`, not the
/// emulator's code) that must agree bit for bit, the programs a segment compiles into, the fp16
/// range guard, and both real models teacher-forced.
final class AcceleratorTests: XCTestCase {
    let unit = AcceleratorBackend(threads: 2)

    // MARK: - Refusal rules (one graph per rule)

    /// A weight of `shape` in `format` whose bytes nobody reads (support is decided on shapes).
    func weight(_ name: String, _ shape: [Int], _ format: WeightFormat = .f16) -> WeightTensor {
        let bytes = HarnessBytes([UInt8](repeating: 0, count: format.byteCount(elements: shape.reduce(1, *))!))
        return WeightTensor(name: name, format: format, shape: shape, bytes: UnsafeRawBufferPointer(bytes.buffer), owner: bytes)
    }

    func reason(_ graph: ForwardGraph, _ node: Int = -1, unit: AcceleratorBackend? = nil) -> String? {
        let n = graph.nodes[node < 0 ? graph.nodes.count + node : node]
        if case .unsupported(let why) = (unit ?? self.unit).support(for: n, in: graph) { return why }
        return nil
    }

    func testEveryRefusalRuleNamesItself() {
        // R1: the embedding gathers rows by run-time token ids.
        var g = ForwardGraph(tokenCount: 2)
        let x = g.op("embed", .embed(scale: 1), [g.weight(weight("table", [10, 64]))], shape: [2, 64])
        XCTAssertEqual(reason(g)?.prefix(3), "R1:")

        // R5: soft-capping, as an op and inside attention.
        g.op("capped", .softcap(30), [x], shape: [2, 64])
        XCTAssertEqual(reason(g)?.prefix(3), "R5:")
        let k = g.state("k", shape: [32, 64]), v = g.state("v", shape: [32, 64])
        g.op("attn", .attention(AttentionParameters(heads: 1, kvHeads: 1, headDim: 64, scale: 0.125, softcap: 50)), [x, k, v], shape: [2, 64])
        XCTAssertEqual(reason(g)?.prefix(3), "R5:")
        g.op("attn_plain", .attention(AttentionParameters(heads: 1, kvHeads: 1, headDim: 64, scale: 0.125)), [x, k, v], shape: [2, 64])
        XCTAssertNil(reason(g), "attention over a fixed buffer with a mask runs")

        // R6: a reduction, a norm or a row beyond the dimension limits.
        let wide = g.op("wide", .rows(start: 0, count: 2), [x], shape: [2, 64])
        g.op("long_k", .matmul, [g.op("x20k", .scale(1), [wide], shape: [2, 20_000]), g.weight(weight("w20k", [4, 20_000]))], shape: [2, 4])
        XCTAssertEqual(reason(g)?.prefix(3), "R6:")
        XCTAssertEqual(reason(g, g.nodes.count - 2)?.prefix(3), "R6:", "a 20,000-wide activation")
        g.op("wide_norm", .rmsNorm(eps: 1e-6), [g.op("x9k", .scale(1), [wide], shape: [2, 9_000]), g.weight(weight("g9k", [9_000]))], shape: [2, 9_000])
        XCTAssertEqual(reason(g)?.prefix(3), "R6:")
        XCTAssertTrue(reason(g)?.contains("18000") ?? false, "the norm is a LayerNorm over twice the width")
        g.op("narrow_norm", .rmsNorm(eps: 1e-6), [wide, g.weight(weight("g64", [64]))], shape: [2, 64])
        XCTAssertNil(reason(g))

        // R7: a KV buffer longer than the limit, for the write and for attention.
        let bigK = g.state("bigk", shape: [20_000, 64]), bigV = g.state("bigv", shape: [20_000, 64])
        g.op("write", .kvWrite, [wide, wide], writing: [bigK, bigV])
        XCTAssertEqual(reason(g)?.prefix(3), "R7:")
        g.op("attn_big", .attention(AttentionParameters(heads: 1, kvHeads: 1, headDim: 64, scale: 0.125)), [wide, bigK, bigV], shape: [2, 64])
        XCTAssertEqual(reason(g)?.prefix(3), "R7:")

        // A matmul with more outputs than the limit is not refused: it is split into programs.
        g.op("head", .matmul, [wide, g.weight(weight("vocab", [40_000, 64]))], shape: [2, 40_000])
        XCTAssertNil(reason(g))
    }

    /// R9: with calibrated magnitudes, an op whose input or output passes 32,752 stays off the unit
    /// (guard on); with the guard off it runs there.
    func testRangeGuardKeepsOverflowingOpsOff() {
        var g = ForwardGraph(tokenCount: 1)
        let x = g.op("x", .embed(scale: 1), [g.weight(weight("t", [4, 32]))], shape: [1, 32])
        let big = g.op("residual", .add, [x, x], shape: [1, 32])
        g.op("norm", .rmsNorm(eps: 1e-6), [big, g.weight(weight("g", [32]))], shape: [1, 32])
        g.largestMagnitudes = ["x": 30_000, "residual": 60_000, "norm": 40]
        XCTAssertEqual(reason(g, 1)?.prefix(3), "R9:", "the output passes the guard")
        XCTAssertEqual(reason(g, 2)?.prefix(3), "R9:", "the input passes the guard")
        let unguarded = AcceleratorBackend(threads: 1, rangeGuard: false)
        XCTAssertNil(reason(g, 1, unit: unguarded))
        XCTAssertNil(reason(g, 2, unit: unguarded))
        g.largestMagnitudes = ["x": 30_000, "residual": 32_000, "norm": 40]
        XCTAssertNil(reason(g, 1))
        XCTAssertTrue(unit.wantsActivationMagnitudes)
        XCTAssertFalse(unguarded.wantsActivationMagnitudes)
    }

    // MARK: - A second implementation from the spec's text

    /// Rounds to binary16 with Swift's own `Float16` (compiler-rt's conversion), not the emulator's.
    func h(_ x: Float) -> Float { Float(Float16(x)) }

    /// The spec's matmul: inputs and weights rounded to fp16, one f32 accumulator per output
    /// summed over k in order from +0, the result rounded to fp16.
    func specMatmul(_ x: [Float], _ w: [Float], n: Int, k: Int, m: Int) -> [Float] {
        var y = [Float](repeating: 0, count: n * m)
        for r in 0..<n {
            for j in 0..<m {
                var acc: Float = 0
                for c in 0..<k { acc += h(x[r * k + c]) * h(w[j * k + c]) }
                y[r * m + j] = h(acc)
            }
        }
        return y
    }

    /// The spec's SiLU: 257 fp16 entries at −8 + i/16, linear interpolation (product rounded
    /// before the add), the identity from 8 up, 0 below −8; the input and the output rounded.
    func specSiLU(_ x: Float) -> Float {
        let v = h(x)
        if v >= 8 { return h(v) }
        if v < -8 { return 0 }
        func entry(_ i: Int) -> Float { let p = -8 + Double(i) / 16; return h(Float(p / (1 + Foundation.exp(-p)))) }
        let t = (v + 8) * 16
        let i = Int(t.rounded(.down))
        let u = t - Float(i)
        let product = u * (entry(i + 1) - entry(i))
        return h(entry(i) + product)
    }

    /// The spec's RMSNorm: s from eight lanes (lane l sums x² over i ≡ l mod 8), combined as
    /// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)); r = 1/√(s/w + eps); y = h((x·r)·h(g)).
    func specRMSNorm(_ x: [Float], _ g: [Float], eps: Float) -> [Float] {
        let v = x.map(h)
        var lane = [Float](repeating: 0, count: 8)
        for i in v.indices { lane[i % 8] += v[i] * v[i] }
        let s = ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]))
        let r = 1 / (s / Float(v.count) + eps).squareRoot()
        return v.indices.map { i in let t = v[i] * r; return h(t * h(g[i])) }
    }

    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

    func testASecondImplementationOfTheSpecAgreesBitForBit() throws {
        // Matmuls with int4 grouped weights (Q4_0: groups of 32; Q4_K: two-level 256-blocks), decode and prefill.
        for (format, n, k, m) in [(WeightFormat.q4_0, 1, 96, 37), (.q4_0, 7, 64, 19), (.q4K, 3, 512, 9), (.q8_0, 16, 64, 64)] {
            let opCase = OpCase.matmul(format, n: n, k: k, m: m)
            guard case .ran(let run) = try OpHarness.run(opCase, on: unit) else { return XCTFail("\(opCase) refused") }
            XCTAssertEqual(bits(run.output), bits(specMatmul(run.inputs[0], run.inputs[1], n: n, k: k, m: m)), "\(opCase)")
        }
        // SiLU over its whole range and beyond.
        let silu = OpCase.unary(.silu, n: 3, columns: 45, amplitude: 10)
        guard case .ran(let s) = try OpHarness.run(silu, on: unit) else { return XCTFail("silu refused") }
        XCTAssertEqual(bits(s.output), bits(s.inputs[0].map(specSiLU)))
        // RMSNorm per head and whole rows, widths not a multiple of 8 among them.
        for (n, columns, width) in [(2, 576, 576), (3, 45, 45), (5, 96, 32)] {
            let norm = OpCase.rmsNorm(n: n, columns: columns, width: width, eps: 1e-5)
            guard case .ran(let run) = try OpHarness.run(norm, on: unit) else { return XCTFail("\(norm) refused") }
            let expected = (0..<(n * columns / width)).flatMap { group in
                specRMSNorm(Array(run.inputs[0][group * width ..< (group + 1) * width]), run.inputs[1], eps: 1e-5)
            }
            XCTAssertEqual(bits(run.output), bits(expected), "\(norm)")
        }
    }

    /// The unit's arithmetic gives the same bits on every SIMD tier: the scalar C code, the AVX2
    /// code, weights kept as codes (Q4_0, Q4_1, Q4_K, Q5_0, Q8_0) and as fp16 values (F16, Q6_K).
    func testEveryTierGivesTheSameBits() throws {
        defer { sy_force_tier(nil) }
        let cases: [OpCase] = [.matmul(.q4_1, n: 1, k: 64, m: 37), .matmul(.q4K, n: 7, k: 256, m: 19), .matmul(.q8_0, n: 3, k: 96, m: 16),
                               .matmul(.q5_0, n: 1, k: 32, m: 5), .matmul(.f16, n: 9, k: 45, m: 33), .matmul(.q6K, n: 2, k: 256, m: 7),
                               .rmsNorm(n: 3, columns: 45, width: 45), .unary(.silu, n: 2, columns: 77, amplitude: 9),
                               .attention(AttentionParameters(heads: 4, kvHeads: 1, headDim: 36, scale: 0.2, window: 8), n: 6, start: 20, capacity: 16)]
        for opCase in cases {
            var outputs: [[UInt32]] = []
            for tier in ["scalar", "avx2"] {
                sy_force_tier(tier)
                guard case .ran(let run) = try OpHarness.run(opCase, on: AcceleratorBackend(threads: 2)) else { return XCTFail("\(opCase) refused") }
                outputs.append(bits(run.output))
            }
            XCTAssertEqual(outputs[0], outputs[1], "\(opCase)")
        }
    }

    // MARK: - Programs, cost and the real models

    func engine(_ path: String, guarded: Bool = true, context: Int = 256) throws -> Engine {
        let backends: [any Backend] = [AcceleratorBackend(threads: 2, rangeGuard: guarded), BLASBackend(threads: 2)]
        return try Engine(model: try Model(path), backends: backends, policy: RoutingPolicy(backends.map(\.name)),
                          contextLength: context, batchSize: 256)
    }

    /// A decode pass is one segment of programs (the wide output head split at 16,384 columns),
    /// the embedding on the CPU; running it counts programs, hand-offs and modeled time.
    func testProgramsAndModeledCostOfADecodeStep() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let engine = try engine(TestModels.smollm2Path)
        let plan = try engine.plan(tokens: 1, logits: .last)
        XCTAssertEqual(plan.segments.map(\.backend), ["blas", "accelerator"])
        let programs = plan.backends["accelerator"]!.programs(for: plan.segments[1], in: plan.graph)
        XCTAssertEqual(programs.count, 4, "the layers, then the 49,152-row head in 3 programs")
        XCTAssertEqual(programs.filter { $0.name.hasPrefix("output [") }.count, 3)
        XCTAssertTrue(programs.allSatisfy { $0.tokens == 1 && $0.invocations == 1 && $0.modeledSeconds > 0 })
        let prefill = try engine.plan(tokens: 300, logits: .last)
        let chunked = prefill.backends["accelerator"]!.programs(for: prefill.segments[1], in: prefill.graph)
        XCTAssertTrue(chunked.allSatisfy { $0.tokens == 128 && $0.invocations == 3 }, "300 tokens run as 3 padded AR-128 chunks")

        let session = engine.makeSession()
        _ = try session.forward([1, 2, 3], logits: .last)
        _ = try session.forward([4], logits: .last)
        let activity = plan.backends["accelerator"]!.activity
        XCTAssertEqual(activity["programs compiled"], 8)
        XCTAssertEqual(activity["program runs"], 8)
        XCTAssertEqual(activity["hand-offs"], 4, "the embedding in and the logits out, per pass")
        XCTAssertGreaterThan(activity["modeled µs"] ?? 0, 0)
        XCTAssertGreaterThan(activity["modeled µJ"] ?? 0, 0)
    }

    /// Teacher-forced top-1 over the evaluation text: Gemma 3 against exact float64 arithmetic,
    /// SmolLM2 against llama.cpp (which the reference matches at 1234/1235): at least 95% each.
    func testTeacherForcedTop1OnBothModels() throws {
        let positions = 200
        _ = try TestModels.open(TestModels.gemma3Path)
        let exact = try JSONDecoder().decode(TeacherForcedTests.Float64Fixture.self, from: Data(contentsOf: TestModels.fixture("float64-gemma3.json")))
        let gemma = try engine(TestModels.gemma3Path).makeSession().forward(Array(exact.tokens.prefix(positions + 1)), logits: .all)
        var agreed = 0
        for p in 0..<positions where VulkanEndToEndTests.argmax(gemma, row: p) == exact.top1[p] || exact.top1_logit[p] - exact.top2[p] < 1e-3 { agreed += 1 }
        print("Gemma 3 accelerator (guarded) + BLAS vs float64: top-1 \(agreed)/\(positions)")
        XCTAssertGreaterThanOrEqual(Double(agreed) / Double(positions), 0.95)

        _ = try TestModels.open(TestModels.smollm2Path)
        let fixture = try JSONDecoder().decode(TeacherForcedTests.Fixture.self, from: Data(contentsOf: TestModels.fixture("logits-smollm2.json")))
        let smol = try engine(TestModels.smollm2Path).makeSession().forward(Array(fixture.tokens.prefix(positions + 1)), logits: .all)
        let score = AgreementReport(logits: smol, fixture: TeacherForcedTests.Fixture(tokens: fixture.tokens, perplexity: fixture.perplexity,
                                                                                      positions: Array(fixture.positions.prefix(positions))))
        print("SmolLM2 accelerator + BLAS vs llama.cpp: top-1 \(score.agreed)/\(score.total)")
        XCTAssertGreaterThanOrEqual(score.agreement, 0.95)
    }

    /// Without the guard Gemma 3's residual stream (past 65,504 from layer 7) overflows fp16 to
    /// infinity on the unit, and the logits are no longer numbers: what the guard is for.
    func testWithoutTheGuardGemmaOverflows() throws {
        _ = try TestModels.open(TestModels.gemma3Path)
        let model = try Model(TestModels.gemma3Path)
        let tokens = model.tokenizer.encode("The capital of France is Paris, and the capital of Italy is", addSpecial: true, parseSpecial: false)
        let magnitudes = try engine(TestModels.gemma3Path).calibratedMagnitudes()
        XCTAssertGreaterThan(magnitudes["blk.10.ffn_residual"] ?? 0, 65_504)
        let guarded = try engine(TestModels.gemma3Path).makeSession().forward(tokens, logits: .last)
        XCTAssertTrue(guarded.array.allSatisfy(\.isFinite))
        let plan = try engine(TestModels.gemma3Path).plan(tokens: 1, logits: .last)
        XCTAssertEqual(plan.assignment[plan.graph.nodes.firstIndex { $0.name == "blk.10.attn_residual" }!], "blas")
        let unguarded = try engine(TestModels.gemma3Path, guarded: false).makeSession().forward(tokens, logits: .last)
        XCTAssertFalse(unguarded.array.allSatisfy(\.isFinite), "fp16 overflow should reach the logits")
    }
}
