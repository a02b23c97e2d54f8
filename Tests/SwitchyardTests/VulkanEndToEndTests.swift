import Foundation
import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardReference
import SwitchyardBLAS
import SwitchyardVulkan

/// The Vulkan backend end to end on both real models (lavapipe in CI): every op of a pass against
/// the reference, teacher-forced top-1 against exact arithmetic, greedy text against the BLAS
/// backend, and a plan that crosses compute units both ways.
final class VulkanEndToEndTests: XCTestCase {
    func vulkan() throws -> VulkanBackend {
        guard let backend = VulkanUnderTest.backend else {
            if VulkanUnderTest.skipped { throw XCTSkip("SWITCHYARD_SKIP_VULKAN=1: no Vulkan here") }
            return try VulkanBackend()   // throws the reason
        }
        return backend
    }

    func engine(_ path: String, _ backends: [any Backend], policy: RoutingPolicy? = nil, context: Int, batch: Int = 256) throws -> Engine {
        try Engine(model: try Model(path), backends: backends, policy: policy ?? RoutingPolicy([backends[0].name]),
                   contextLength: context, batchSize: batch)
    }

    /// Fails the suite where Vulkan cannot start, unless a machine without it is declared.
    func testVulkanIsAvailable() throws {
        if VulkanUnderTest.skipped { throw XCTSkip("SWITCHYARD_SKIP_VULKAN=1") }
        let backend = try vulkan()
        print("Vulkan device under test: \(backend.deviceDescription.name) (\(backend.deviceDescription.type), subgroup \(backend.deviceDescription.subgroupSize))")
    }

    func evalTokens(_ model: Model, _ count: Int) throws -> [Int32] {
        let text = try String(contentsOf: TestModels.fixture("eval-text.txt"), encoding: .utf8)
        return Array(model.tokenizer.encode(text, addSpecial: true, parseSpecial: false).prefix(count))
    }

    /// The column of row `row`'s largest logit.
    static func argmax(_ logits: HostTensor, row: Int) -> Int {
        let values = UnsafeBufferPointer(start: logits.row(row), count: logits.columns)
        return values.indices.max { values[$0] < values[$1] }!
    }

    static func nmse(_ a: HostTensor, _ b: HostTensor) -> Double {
        var num = 0.0, den = 0.0
        for i in 0..<b.count {
            let d = Double(a.storage[i]) - Double(b.storage[i])
            num += d * d; den += Double(b.storage[i]) * Double(b.storage[i])
        }
        return num / max(den, 1e-30)
    }

    /// Each real model with the start of the evaluation text in its tokens.
    func eachModel(tokens count: Int, _ body: (String, Model, [Int32]) throws -> Void) throws {
        for path in [TestModels.smollm2Path, TestModels.gemma3Path] {
            _ = try TestModels.open(path)
            let model = try Model(path)
            try body(path, model, try evalTokens(model, count))
        }
    }

    func testEveryOpMatchesTheReferenceOnBothModels() throws {
        let gpu = try vulkan()
        try eachModel(tokens: 40) { path, model, tokens in
            let (graph, expected) = try engine(path, [ReferenceBackend(threads: 2)], context: 64).makeSession().trace(tokens)
            let (_, got) = try engine(path, [gpu], context: 64).makeSession().trace(tokens)
            var worst = (name: "", nmse: 0.0)
            for (name, reference) in expected {
                let e = Self.nmse(try XCTUnwrap(got[name], name), reference)
                XCTAssertFalse(e.isNaN, "\(name) is NaN")
                if e > worst.nmse { worst = (name, e) }
            }
            print("Vulkan vs reference on \(model.name), \(graph.nodes.count) ops × 40 tokens: worst NMSE \(worst.nmse) at \(worst.name)")
            XCTAssertLessThan(worst.nmse, 1e-9, "\(model.name): \(worst.name)")
        }
    }

    /// A prefill then decode steps as generation runs them (where the backend fuses ops: the
    /// residual add with the next norm, RoPE with the cache write) give the reference's logits.
    func testFusedPassesMatchTheReferenceOnBothModels() throws {
        let gpu = try vulkan()
        try eachModel(tokens: 28) { path, model, tokens in
            let onGPU = try engine(path, [gpu], context: 64).makeSession()
            let reference = try engine(path, [ReferenceBackend(threads: 2)], context: 64).makeSession()
            var worst = Self.nmse(try onGPU.forward(Array(tokens.prefix(24)), logits: .all),
                                  try reference.forward(Array(tokens.prefix(24)), logits: .all))
            for t in tokens.suffix(4) {
                worst = max(worst, Self.nmse(try onGPU.forward([t], logits: .last), try reference.forward([t], logits: .last)))
            }
            print("Vulkan (fused) vs reference on \(model.name): worst logits NMSE \(worst) over a prefill and 4 decode steps")
            XCTAssertLessThan(worst, 1e-9, model.name)
        }
    }

    /// One backend serving graphs alike in structure but not in widths (two models on one backend)
    /// gives each its own activation layout: a layout made for the narrow one would leave the wide
    /// one's activations writing past the end of its block.
    func testGraphsAlikeButForTheirWidthsGetTheirOwnLayouts() throws {
        let gpu = try vulkan()
        for columns in [64, 512, 128, 1024] {
            let opCase = OpCase.unary(.scale(2), n: 64, columns: columns, amplitude: 1)
            guard case .ran(let got) = try OpHarness.run(opCase, on: gpu, sharedMemory: true),
                  case .ran(let expected) = try OpHarness.run(opCase, on: OpHarness.helper, sharedMemory: true) else { return XCTFail("refused") }
            XCTAssertEqual(got.output, expected.output, "\(opCase)")
        }
    }

    /// Teacher-forced top-1 over the start of the evaluation text: Gemma 3 against the float64
    /// implementation (which the reference equals at every position), SmolLM2 against llama.cpp
    /// (which the reference agrees with at 1234/1235).
    func testTeacherForcedTop1AgreesOnBothModels() throws {
        let gpu = try vulkan()
        let positions = 200
        _ = try TestModels.open(TestModels.gemma3Path)
        let exact = try JSONDecoder().decode(TeacherForcedTests.Float64Fixture.self, from: Data(contentsOf: TestModels.fixture("float64-gemma3.json")))
        let tokens = Array(exact.tokens.prefix(positions + 1))
        // One pass of 201 tokens: its 211 MB of logits exceed lavapipe's 128 MiB binding, so the
        // output product runs in blocks of tokens.
        let logits = try engine(TestModels.gemma3Path, [gpu], context: tokens.count, batch: 256).makeSession().forward(tokens, logits: .all)
        var agreed = 0, largest = 0.0
        for p in 0..<positions {
            let row = UnsafeBufferPointer(start: logits.row(p), count: logits.columns)
            if Self.argmax(logits, row: p) == exact.top1[p] || exact.top1_logit[p] - exact.top2[p] < 1e-3 { agreed += 1 }
            largest = max(largest, abs(Double(row[exact.top1[p]]) - exact.top1_logit[p]))
        }
        print("Gemma 3 Vulkan vs float64: top-1 \(agreed)/\(positions), largest top-1 logit difference \(largest)")
        XCTAssertGreaterThanOrEqual(Double(agreed) / Double(positions), 0.99)
        XCTAssertLessThan(largest, 1e-2)

        _ = try TestModels.open(TestModels.smollm2Path)
        let fixture = try JSONDecoder().decode(TeacherForcedTests.Fixture.self, from: Data(contentsOf: TestModels.fixture("logits-smollm2.json")))
        let smol = try engine(TestModels.smollm2Path, [gpu], context: positions + 1, batch: 64)
            .makeSession().forward(Array(fixture.tokens.prefix(positions + 1)), logits: .all)
        var smolAgreed = 0, smolTotal = 0
        for p in fixture.positions where p.pos < positions {
            smolTotal += 1
            if Self.argmax(smol, row: p.pos) == Int(p.top5[0][0]) || p.top5[0][1] - p.top5[1][1] < 0.01 { smolAgreed += 1 }
        }
        print("SmolLM2 Vulkan vs llama.cpp: top-1 \(smolAgreed)/\(smolTotal) (near-ties under 0.01 counted as agreeing)")
        XCTAssertGreaterThanOrEqual(Double(smolAgreed) / Double(max(smolTotal, 1)), 0.99)
    }

    /// The greedy continuation equals the BLAS backend's.
    func testGreedyTextMatchesBLASOnGemma3() async throws {
        let gpu = try vulkan()
        _ = try TestModels.open(TestModels.gemma3Path)
        func greedy(_ backend: any Backend) async throws -> String {
            let engine = try engine(TestModels.gemma3Path, [backend], context: 128, batch: 64)
            var text = ""
            for try await piece in engine.generate("The capital of France is", options: GenerationOptions(maxTokens: 16, sampling: SamplingOptions(temperature: 0))) { text += piece }
            return text
        }
        let texts = [try await greedy(gpu), try await greedy(BLASBackend(threads: 2))]
        print("greedy on Vulkan: \(texts[0])")
        XCTAssertEqual(texts[0], texts[1])
    }

    /// A plan that crosses compute units: attention on the CPU, everything else on the GPU. It
    /// agrees with the reference, and its transfers are counted.
    func testMixedPlanAgreesWithTheReference() throws {
        let gpu = try vulkan()
        _ = try TestModels.open(TestModels.smollm2Path)
        let model = try Model(TestModels.smollm2Path)
        let tokens = try evalTokens(model, 24)
        let mixed = RoutingPolicy(["vulkan", "blas"], routes: [.attention: ["blas"]])
        let session = try engine(TestModels.smollm2Path, [gpu, BLASBackend(threads: 2)], policy: mixed, context: 64).makeSession()
        let got = try session.forward(tokens, logits: .all)
        let expected = try engine(TestModels.smollm2Path, [ReferenceBackend(threads: 2)], context: 64).makeSession().forward(tokens, logits: .all)
        let e = Self.nmse(got, expected)
        print("mixed vulkan/blas plan vs reference: NMSE \(e), \(session.transferCount) transfers, \(session.transferBytes) bytes")
        XCTAssertLessThan(e, 1e-9)
        XCTAssertGreaterThanOrEqual(session.transferCount, 2 * 30, "q, k, v out and the attention result back, per layer")
    }

    /// Decode steps over unchanged buffers are resubmitted without encoding (`SegmentReplay`). Two
    /// sessions taking turns on one backend (each its own KV cache, so neither may replay the
    /// other's recording) get bit for bit what each gets alone.
    func testReplayedDecodeStepsMatchEncodedOnes() throws {
        let gpu = try vulkan()
        _ = try TestModels.open(TestModels.smollm2Path)
        let model = try Model(TestModels.smollm2Path)
        let tokens = try evalTokens(model, 10)
        let a = Array(tokens[0..<5]), b = Array(tokens[5..<10])
        let engine = try engine(TestModels.smollm2Path, [gpu], context: 16)
        func step(_ session: Session, _ token: Int32) throws -> [Float] {
            let logits = try session.forward([token], logits: .last)
            return Array(UnsafeBufferPointer(start: logits.storage.baseAddress, count: logits.count))
        }
        let encodesBefore = gpu.statistics.encodes, submitsBefore = gpu.statistics.submits
        let alone = try [a, b].map { sequence in
            let session = engine.makeSession()
            return try sequence.map { try step(session, $0) }
        }
        let encoded = gpu.statistics.encodes - encodesBefore, submitted = gpu.statistics.submits - submitsBefore
        XCTAssertLessThan(encoded, submitted, "steps after the first of a session replay without encoding")

        let first = engine.makeSession(), second = engine.makeSession()
        var turns: [[[Float]]] = [[], []]
        for i in 0..<a.count {
            turns[0].append(try step(first, a[i]))
            turns[1].append(try step(second, b[i]))
        }
        XCTAssertEqual(turns[0], alone[0])
        XCTAssertEqual(turns[1], alone[1])
    }
}
