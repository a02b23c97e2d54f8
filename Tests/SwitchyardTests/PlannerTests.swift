import Foundation
import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardReference

/// The planner on the real SmolLM2 graph and on small ones: how a policy cuts a pass into segments,
/// where transfers go and how many bytes they move (counts derived from the llama graph, layer by
/// layer), the errors for ops nobody runs and for unknown backends, the plan cache, policy parsing,
/// and, end to end, that a split run gives the reference's logits and moves exactly what its plans
/// say.
///
/// The split test backend (`SplitTestBackend`, an `.accelerator`) runs matmul, add, mul, rmsNorm,
/// swiglu, silu, scale and rows, and refuses embed, rope, kvWrite and attention.
final class PlannerTests: XCTestCase {
    /// SmolLM2-135M: llama, 30 layers, d = 576, 9 query heads and 3 KV heads of 64, feed-forward 1536.
    static let smollm2: Result<Model, Error> = Result { try Model(TestModels.smollm2Path) }

    private func model(file: StaticString = #filePath, line: UInt = #line) throws -> Model {
        guard FileManager.default.fileExists(atPath: TestModels.smollm2Path) else {
            XCTFail("model \(TestModels.smollm2Path) is missing: run scripts/fetch-models.sh", file: file, line: line)
            throw XCTSkip("model missing")
        }
        return try Self.smollm2.get()
    }

    /// SmolLM2's hyperparameters, which the expected counts below are derived from.
    private func llama(_ model: Model) throws -> LlamaArchitecture {
        let arch = try XCTUnwrap(model.architecture as? LlamaArchitecture)
        XCTAssertEqual([arch.layers, arch.embedding, arch.heads, arch.kvHeads, arch.headDim, arch.feedForward],
                       [30, 576, 9, 3, 64, 1536], "SmolLM2's shape changed: rederive the expected counts")
        return arch
    }

    // MARK: - (a) Segments and transfers on the llama graph

    /// With `splittest,reference`, the split backend takes every op except embed, rope, kvWrite and
    /// attention. A llama pass then reads, on the two units S (split) and R (reference):
    ///
    ///     R token_embd
    ///     S blk.0 attn_norm, attn_q, attn_k, attn_v           ← x (token_embd)
    ///     R blk.0 rope_q, rope_k, kv_write, attn              ← q, k, v
    ///     S blk.0 attn_output … ffn_residual, blk.1 attn_norm … attn_v   ← attn
    ///     R blk.1 rope_q … attn                               ← q, k, v
    ///     …
    ///     S blk.29 attn_output … ffn_residual, output_norm, [last_row], output   ← attn
    ///
    /// so 1 + 2 · layers + 1 = 62 segments and 1 + 4 · layers = 121 transfers. The residual stream
    /// x never crosses again: its copy on S, made for blk.0, is what blk.0's residual add reads, and
    /// every later x is made on S. Bytes: x, then per layer q (576) + k, v (192 each) + attn (576)
    /// floats per token: 4 · n · (576 + 30 · 1536).
    func testSplitPolicyCutsLlamaAtEveryUnitCrossing() throws {
        let model = try model()
        let arch = try llama(model)
        let engine = try Engine(model: model, backends: [SplitTestBackend(), ReferenceBackend()],
                                policy: RoutingPolicy(["splittest", "reference"]), contextLength: 64)
        let d = arch.embedding, kvWidth = arch.kvHeads * arch.headDim
        let referenceKinds: Set<OpKind> = [.embed, .rope, .kvWrite, .attention]
        for (n, logits) in [(8, LogitRows.last), (1, .last), (5, .all)] {
            let what = "\(n) tokens, logits \(logits)"
            let plan = try engine.plan(tokens: n, logits: logits)
            XCTAssertEqual(plan.segments.count, 62, what)
            XCTAssertEqual(plan.segments.count, 2 * arch.layers + 2, what)
            XCTAssertEqual(plan.transfers.count, 121, what)
            XCTAssertEqual(plan.transfers.count, 1 + 4 * arch.layers, what)
            XCTAssertEqual(plan.transferBytes, 4 * n * (d + arch.layers * (2 * d + 2 * kvWidth)), what)
            XCTAssertEqual(plan.transferBytes, 4 * n * 46_656, what)

            // Each op on the first backend that runs it.
            for node in plan.graph.nodes {
                XCTAssertEqual(plan.assignment[node.index], referenceKinds.contains(node.kind) ? "reference" : "splittest",
                               "\(what): \(node.name) (\(node.kind.rawValue))")
            }
            // Segments alternate between the two units, from the embedding to the output.
            for (a, b) in zip(plan.segments, plan.segments.dropFirst()) {
                XCTAssertNotEqual(a.unit, b.unit, "\(what): segments \(a.index) and \(b.index) on one unit")
            }
            XCTAssertEqual(plan.segments.first?.nodes.map(\.name), ["token_embd"], what)
            XCTAssertEqual(plan.segments.last?.nodes.last?.name, "output", what)

            // Transfers only where a value crosses units, and exactly these.
            var expected = [["token_embd", "reference", "splittest", "\(4 * n * d)"]]
            for l in 0..<arch.layers {
                for (name, width) in [("attn_q", d), ("attn_k", kvWidth), ("attn_v", kvWidth)] {
                    expected.append(["blk.\(l).\(name)", "splittest", "reference", "\(4 * n * width)"])
                }
                expected.append(["blk.\(l).attn", "reference", "splittest", "\(4 * n * d)"])
            }
            XCTAssertEqual(plan.transfers.map { [$0.name, $0.from, $0.to, "\($0.bytes)"] }, expected, what)
            for segment in plan.segments {
                for transfer in segment.transfersIn {
                    XCTAssertEqual(transfer.to, segment.backend, "\(what): \(transfer.name)")
                    XCTAssertNotEqual(plan.backends[transfer.from]!.unit, plan.backends[transfer.to]!.unit, "\(what): \(transfer.name)")
                    XCTAssertEqual(plan.graph[transfer.value].name, transfer.name, what)
                }
            }
        }

        let referenceOnly = try Engine(model: model, backends: [ReferenceBackend()], policy: RoutingPolicy(["reference"]), contextLength: 64)
        for n in [8, 1] {
            let plan = try referenceOnly.plan(tokens: n, logits: .last)
            XCTAssertEqual(plan.segments.count, 1, "reference only, \(n) tokens")
            XCTAssertEqual(plan.transfers.count, 0, "reference only, \(n) tokens")
            XCTAssertEqual(plan.transferBytes, 0, "reference only, \(n) tokens")
        }
    }

    /// Two backends on the CPU share host memory: however often the plan switches between them, no
    /// value is copied.
    func testNoTransfersBetweenBackendsOfOneUnit() throws {
        let model = try model()
        let engine = try Engine(model: model, backends: [HostAliasBackend(name: "reference2"), ReferenceBackend()],
                                policy: RoutingPolicy(["reference"], routes: [.matmul: ["reference2"]]), contextLength: 64)
        let plan = try engine.plan(tokens: 4, logits: .last)
        XCTAssertEqual(plan.segments.count, 242, "matmul runs alternate with the rest (as in testRoutesChangeTheAssignment)")
        XCTAssertEqual(plan.transfers.count, 0)
    }

    // MARK: - (b) An op nobody runs

    func testOpThatNoBackendRunsIsUnsupportedOpWithEveryReason() throws {
        let model = try model()
        let engine = try Engine(model: model, backends: [SplitTestBackend()], policy: RoutingPolicy(["splittest"]), contextLength: 64)
        XCTAssertThrowsError(try engine.plan(tokens: 3, logits: .last)) { error in
            guard case ExecutionError.unsupportedOp(let node, let kind, let reasons) = error else {
                return XCTFail("expected unsupportedOp, got \(error)")
            }
            XCTAssertEqual(node, "token_embd")
            XCTAssertEqual(kind, .embed)
            XCTAssertEqual(reasons.map { "\($0.backend): \($0.reason)" }, ["splittest: gather by token id is dynamic"])
            XCTAssertEqual("\(error)", "no backend in the policy runs op 'token_embd' (embed): splittest: gather by token id is dynamic")
        }

        // Two backends that both refuse: attention with 3 query heads over 2 KV heads.
        var graph = ForwardGraph(tokenCount: 2)
        let x = graph.state("x", shape: [2, 48])
        let q = graph.op("q", .scale(1), [x], shape: [2, 48])
        let k = graph.state("cache_k", shape: [8, 32]), v = graph.state("cache_v", shape: [8, 32])
        graph.markOutput(graph.op("attn", .attention(AttentionParameters(heads: 3, kvHeads: 2, headDim: 16, scale: 0.25)), [q, k, v], shape: [2, 48]))
        let planner = try Planner(policy: RoutingPolicy(["splittest", "reference"]), backends: [SplitTestBackend(), ReferenceBackend()])
        XCTAssertThrowsError(try planner.plan(graph)) { error in
            guard case ExecutionError.unsupportedOp(let node, let kind, let reasons) = error else {
                return XCTFail("expected unsupportedOp, got \(error)")
            }
            XCTAssertEqual(node, "attn")
            XCTAssertEqual(kind, .attention)
            XCTAssertEqual(reasons.map { "\($0.backend): \($0.reason)" },
                           ["splittest: run-time positions", "reference: heads not a multiple of KV heads"])
        }
    }

    // MARK: - (c) Unknown backends

    func testUnknownBackendIsPolicyError() throws {
        let model = try model()
        XCTAssertThrowsError(try Engine(model: model, backends: [ReferenceBackend()], policy: RoutingPolicy(["reference", "nope"]))) { error in
            XCTAssertEqual(error as? PolicyError, .unknownBackend("nope", available: ["reference"]))
        }
        XCTAssertThrowsError(try Planner(policy: RoutingPolicy(["reference"], routes: [.matmul: ["gpu"]]),
                                         backends: [ReferenceBackend(), SplitTestBackend()])) { error in
            XCTAssertEqual(error as? PolicyError, .unknownBackend("gpu", available: ["reference", "splittest"]))
        }
    }

    // MARK: - (d) The plan cache

    /// A plan is made once per shape: asking again asks no backend anything and gives the same plan.
    func testPlansAreCachedPerShape() throws {
        let model = try model()
        let split = SplitTestBackend()
        let engine = try Engine(model: model, backends: [split, ReferenceBackend()], policy: RoutingPolicy(["splittest", "reference"]),
                                contextLength: 64)
        func queries() -> Int { split.counters.supportQueries }

        let first = try engine.plan(tokens: 8, logits: .last)
        let afterFirst = queries()
        XCTAssertGreaterThan(afterFirst, 0, "planning asks the backends")
        let again = try engine.plan(tokens: 8, logits: .last)
        XCTAssertEqual(queries(), afterFirst, "the second plan for 8 tokens came from the cache")
        XCTAssertEqual(again.assignment, first.assignment)
        XCTAssertEqual(again.transfers, first.transfers)
        XCTAssertEqual(again.segments.map(\.nodes.count), first.segments.map(\.nodes.count))
        XCTAssertEqual(again.graph.nodes.count, first.graph.nodes.count)

        // Another token count, or other logit rows, is another shape.
        let decode = try engine.plan(tokens: 1, logits: .last)
        let afterDecode = queries()
        XCTAssertGreaterThan(afterDecode, afterFirst, "1 token is a new shape")
        XCTAssertEqual(decode.graph.tokenCount, 1)
        let all = try engine.plan(tokens: 8, logits: .all)
        XCTAssertGreaterThan(queries(), afterDecode, "all logits is a new shape")
        XCTAssertEqual(all.graph[all.graph.outputs[0]].shape, [8, model.architecture.vocabularySize])
        XCTAssertEqual(first.graph[first.graph.outputs[0]].shape, [1, model.architecture.vocabularySize])
        let total = queries()
        _ = try engine.plan(tokens: 1, logits: .last)
        _ = try engine.plan(tokens: 8, logits: .all)
        XCTAssertEqual(queries(), total, "every shape is cached")
    }

    // MARK: - (e) Policies

    func testRoutingPolicyParsesListsAndRoutes() throws {
        XCTAssertEqual(try RoutingPolicy.parse(list: "splittest,reference"), RoutingPolicy(["splittest", "reference"]))
        XCTAssertEqual(try RoutingPolicy.parse(list: " splittest , reference "), RoutingPolicy(["splittest", "reference"]))
        XCTAssertEqual(try RoutingPolicy.parse(list: "reference"), RoutingPolicy(["reference"]))

        let routed = try RoutingPolicy.parse(routes: ["matmul=splittest", "*=reference"])
        XCTAssertEqual(routed, RoutingPolicy(["reference"], routes: [.matmul: ["splittest"]]))
        XCTAssertEqual(routed.candidates(for: .matmul), ["splittest", "reference"])
        XCTAssertEqual(routed.candidates(for: .rope), ["reference"])
        XCTAssertEqual(routed.backendNames, ["splittest", "reference"])
        XCTAssertEqual(routed.description, "matmul=splittest reference")

        // A list and routes together; a route naming the fallback too does not repeat it.
        let mixed = try RoutingPolicy.parse(list: "reference", routes: ["matmul=splittest,reference", "add=splittest", "*=other"])
        XCTAssertEqual(mixed.fallback, ["reference", "other"])
        XCTAssertEqual(mixed.candidates(for: .matmul), ["splittest", "reference", "other"])
        XCTAssertEqual(mixed.candidates(for: .add), ["splittest", "reference", "other"])
        XCTAssertEqual(mixed.candidates(for: .embed), ["reference", "other"])

        func parseError(_ list: String?, _ routes: [String]) -> PolicyError? {
            do { _ = try RoutingPolicy.parse(list: list, routes: routes); return nil } catch { return error as? PolicyError }
        }
        XCTAssertEqual(parseError(nil, []), .empty)
        XCTAssertEqual(parseError("a,,b", []), .badRoute("a,,b"))
        XCTAssertEqual(parseError(nil, ["matmul"]), .badRoute("matmul"))
        XCTAssertEqual(parseError(nil, ["matmul="]), .badRoute("matmul="))
        XCTAssertEqual(parseError(nil, ["matmull=splittest"]), .unknownOpKind("matmull"))
    }

    /// Routes move ops. `matmul=splittest *=reference` puts only the matmuls on the split backend:
    /// per layer four runs of them (q k v; attn_output; gate up; down), each with the reference ops
    /// between, so 1 + 8 · layers + 1 = 242 segments, and per layer 11 transfers
    /// (attn_norm → S; q, k, v → R; attn → S; attn_output → R; ffn_norm → S; gate, up → R;
    /// swiglu → S; down → R) plus the final norm's row → S: 11 · layers + 1 = 331. Bytes per token
    /// and layer: 6 · 576 + 2 · 192 + 3 · 1536 floats; the last row: 576 floats.
    func testRoutesChangeTheAssignment() throws {
        let model = try model()
        let arch = try llama(model)
        let backends: [any Backend] = [SplitTestBackend(), ReferenceBackend()]
        let routed = try Engine(model: model, backends: backends,
                                policy: try RoutingPolicy.parse(routes: ["matmul=splittest", "*=reference"]), contextLength: 64)
        let n = 8
        let plan = try routed.plan(tokens: n, logits: .last)
        for node in plan.graph.nodes {
            XCTAssertEqual(plan.assignment[node.index], node.kind == .matmul ? "splittest" : "reference", node.name)
        }
        XCTAssertEqual(plan.segments.count, 242)
        XCTAssertEqual(plan.segments.count, 8 * arch.layers + 2)
        XCTAssertEqual(plan.transfers.count, 331)
        XCTAssertEqual(plan.transfers.count, 11 * arch.layers + 1)
        let d = arch.embedding, kvWidth = arch.kvHeads * arch.headDim, ff = arch.feedForward
        XCTAssertEqual(plan.transferBytes, 4 * (n * arch.layers * (6 * d + 2 * kvWidth + 3 * ff) + d))

        // The order of a list decides: the reference first takes everything.
        let referenceFirst = try Engine(model: model, backends: backends, policy: try RoutingPolicy.parse(list: "reference,splittest"),
                                        contextLength: 64)
        let all = try referenceFirst.plan(tokens: n, logits: .last)
        XCTAssertEqual(Set(all.assignment), ["reference"])
        XCTAssertEqual(all.segments.count, 1)
        XCTAssertEqual(all.transfers.count, 0)
    }

    // MARK: - (f) End to end

    /// SmolLM2 on `splittest,reference` against the reference alone: 8 prompt tokens, then 3 greedy
    /// decode steps, the same tokens fed to both. The logits agree (NMSE < 1e-6, same argmax) and
    /// the session moved exactly what its plans say, through the split backend's upload/download.
    func testSplitRunMatchesReferenceEndToEnd() throws {
        let model = try model()
        _ = try llama(model)
        let split = SplitTestBackend()
        let splitEngine = try Engine(model: model, backends: [split, ReferenceBackend()], policy: RoutingPolicy(["splittest", "reference"]),
                                     contextLength: 16)
        let referenceEngine = try Engine(model: model, backends: [ReferenceBackend()], policy: RoutingPolicy(["reference"]), contextLength: 16)
        let splitSession = splitEngine.makeSession(), referenceSession = referenceEngine.makeSession()

        let encoded = model.tokenizer.encode("The quick brown fox jumps over the lazy dog, and then", addSpecial: false, parseSpecial: false)
        XCTAssertGreaterThanOrEqual(encoded.count, 8, "prompt tokens \(encoded)")
        var next = Array(encoded.prefix(8))
        var passes: [Plan] = []
        for step in 0..<4 {
            let what = step == 0 ? "prefill of \(next.count)" : "decode step \(step)"
            let expected = try referenceSession.forward(next, logits: .last).array
            let actual = try splitSession.forward(next, logits: .last).array
            passes.append(try splitEngine.plan(tokens: next.count, logits: .last))
            XCTAssertEqual(actual.count, model.architecture.vocabularySize, what)
            XCTAssertEqual(actual.filter(\.isNaN).count, 0, what)
            let nmse = OpHarness.nmse(actual, expected)
            XCTAssertLessThan(nmse, 1e-6, "\(what): NMSE of the split logits against the reference")
            let best = argmax(expected)
            XCTAssertEqual(argmax(actual), best, "\(what): top token")
            print("end to end: \(what): NMSE \(nmse), top token \(best)")
            next = [Int32(best)]
        }

        let plannedTransfers = passes.map(\.transfers.count).reduce(0, +)
        let plannedBytes = passes.map(\.transferBytes).reduce(0, +)
        XCTAssertGreaterThan(splitSession.transferCount, 0)
        XCTAssertGreaterThan(splitSession.transferBytes, 0)
        XCTAssertEqual(splitSession.transferCount, plannedTransfers)
        XCTAssertEqual(splitSession.transferCount, 4 * 121)
        XCTAssertEqual(splitSession.transferBytes, plannedBytes)
        XCTAssertEqual(splitSession.transferBytes, 4 * (8 + 3) * 46_656)
        XCTAssertEqual(splitSession.segmentCount, 4 * 62)
        XCTAssertEqual(referenceSession.transferCount, 0)
        XCTAssertEqual(referenceSession.transferBytes, 0)
        XCTAssertEqual(referenceSession.segmentCount, 4)

        // Every transfer into the split backend was an upload, every one out a download (plus the
        // logits, which the split backend produces, once per pass).
        let toSplit = passes.flatMap(\.transfers).filter { $0.to == "splittest" }.count
        let fromSplit = passes.flatMap(\.transfers).filter { $0.from == "splittest" }.count
        XCTAssertEqual(split.counters.uploads, toSplit)
        XCTAssertEqual(split.counters.downloads, fromSplit + passes.count)
    }

    private func argmax(_ values: [Float]) -> Int { values.indices.max { values[$0] < values[$1] }! }
}

/// A second CPU backend under another name: the reference's kernels, so its tensors are host
/// tensors that every `.cpu` backend shares.
/// Sendable: no mutable state, as the reference it wraps.
private final class HostAliasBackend: Backend, @unchecked Sendable {
    let name: String
    let unit = ComputeUnit.cpu
    private let inner = ReferenceBackend()

    init(name: String) { self.name = name }

    func support(for node: OpNode, in graph: ForwardGraph) -> OpSupport { inner.support(for: node, in: graph) }
    func prepare(_ weight: WeightTensor) throws -> any BackendTensor { try inner.prepare(weight) }
    func execute(_ segment: PlanSegment, io: SegmentIO) throws { try inner.execute(segment, io: io) }
}
