import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardReference
import SwitchyardVulkan

/// The Vulkan backend's decode fusion of a feed-forward's gate, up and swiglu/geglu into one
/// `matvec_parts` dispatch (`GatedMatvecFusion`) in every weight format, against the reference on fresh random weights and inputs, with NaN-poisoned outputs,
/// over token counts up to the matrix-vector limit and row counts that do not fill a workgroup.
final class VulkanFusionTests: XCTestCase {
    func testFusedDecodeProductsMatchTheReferenceInEveryFormat() throws {
        guard let gpu = VulkanUnderTest.backend else {
            if VulkanUnderTest.skipped { throw XCTSkip("SWITCHYARD_SKIP_VULKAN=1") }
            _ = try VulkanBackend()
            return
        }
        let formats: [WeightFormat] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q8_0, .q4K, .q6K]
        for (i, format) in formats.enumerated() {
            for (n, act) in [(1, OpKind.swiglu), (3, .geglu), (8, .swiglu)] {
                let k = format.blockSize == 256 ? 512 : 96 + 32 * i
                let built = Self.graph(format: format, n: n, k: k, act: act, seed: UInt64(100 * i + n))
                let before = gpu.statistics.dispatches
                let got = try Self.run(built, on: gpu)
                XCTAssertEqual(gpu.statistics.dispatches - before, 5, "\(format) n=\(n): embed, q, k, v and the gated product, one dispatch each")
                let expected = try Self.run(built, on: ReferenceBackend(threads: 2))
                for (name, g, e) in zip3(["q", "k", "v", act.rawValue], got, expected) {
                    let error = OpHarness.nmse(g, e)
                    XCTAssertLessThan(error, 1e-10, "\(format) n=\(n) \(name)")
                }
            }
        }
    }

    private struct Built {
        let graph: ForwardGraph
        let weights: [String: WeightTensor]
        let tokens: [Int32]
    }

    /// x = embed(table, tokens) [n, k]; q, k, v = x · Wq/Wk/Wvᵀ (93, 40 and 40 rows); gate, up =
    /// x · Wg/Wuᵀ (130 rows); out = act(gate, up). Outputs: q, k, v, out.
    private static func graph(format: WeightFormat, n: Int, k: Int, act: OpKind, seed: UInt64) -> Built {
        var rng = SeededGenerator(seed: seed)
        var weights: [String: WeightTensor] = [:]
        var g = ForwardGraph(tokenCount: n)
        func weight(_ name: String, _ format: WeightFormat, _ shape: [Int]) -> ValueID {
            let storage = HarnessBytes(OpHarness.randomWeightBytes(format, count: shape.reduce(1, *), using: &rng))
            let tensor = WeightTensor(name: name, format: format, shape: shape, bytes: UnsafeRawBufferPointer(storage.buffer), owner: storage)
            weights[name] = tensor
            return g.weight(tensor)
        }
        let x = g.op("x", .embed(scale: 1), [weight("table", .f32, [16, k])], shape: [n, k])
        let q = g.op("q", .matmul, [x, weight("wq", format, [93, k])], shape: [n, 93])
        let kk = g.op("k", .matmul, [x, weight("wk", format, [40, k])], shape: [n, 40])
        let v = g.op("v", .matmul, [x, weight("wv", format, [40, k])], shape: [n, 40])
        let gate = g.op("gate", .matmul, [x, weight("wg", format, [130, k])], shape: [n, 130])
        let up = g.op("up", .matmul, [x, weight("wu", format, [130, k])], shape: [n, 130])
        let out = g.op("act", act == .swiglu ? .swiglu : .geglu, [gate, up], shape: [n, 130])
        for id in [q, kk, v, out] { g.markOutput(id) }
        let tokens = (0..<n).map { _ in Int32(rng.next() % 16) }
        return Built(graph: g, weights: weights, tokens: tokens)
    }

    private static func run(_ built: Built, on backend: any Backend) throws -> [[Float]] {
        let plan = try Planner(policy: RoutingPolicy([backend.name]), backends: [backend]).plan(built.graph)
        let weights = built.weights
        let executor = Executor(weights: WeightCache { weights[$0] }, poisonOutputs: true)
        let outputs = try executor.run(plan, pass: PassContext(tokens: built.tokens, startPosition: 0), state: SessionState())
        return built.graph.outputs.map { outputs[$0]!.array }
    }
}

private func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
    zip(a, zip(b, c)).map { ($0, $1.0, $1.1) }
}
