import Foundation
import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardReference
import SwitchyardBLAS

/// The activation memory plan: no two values that are alive at once share bytes (except an
/// elementwise op's output over the input that dies there), the block is far smaller than the sum
/// of the activations, and passes that run in the shared block give exactly the logits of passes in
/// which every output has its own memory.
final class HostMemoryPlanTests: XCTestCase {
    /// Checks the plan of `graph` against the lifetimes the graph implies, and returns the most
    /// bytes live at once (a lower bound for any plan).
    func checkNoOverlap(_ plan: Plan, file: StaticString = #filePath, line: UInt = #line) -> Int {
        let graph = plan.graph, memory = plan.hostMemory
        var defined: [ValueID: Int] = [:]
        for node in graph.nodes { for v in node.outputs { defined[v] = node.index } }
        func bytes(_ v: ValueID) -> Int { graph[v].elementCount * MemoryLayout<Float>.size }
        var mostLive = 0
        for node in graph.nodes {
            let live = memory.offsets.keys.filter { v in
                defined[v]! <= node.index && node.index <= (plan.lastUse[v] ?? defined[v]!)
            }.sorted()
            mostLive = max(mostLive, live.reduce(0) { $0 + bytes($1) })
            for (i, a) in live.enumerated() {
                for b in live[(i + 1)...] {
                    let ra = memory.offsets[a]!..<(memory.offsets[a]! + bytes(a))
                    let rb = memory.offsets[b]!..<(memory.offsets[b]! + bytes(b))
                    guard ra.overlaps(rb) else { continue }
                    // Allowed only where `node` writes its output over its dying first input.
                    let inPlace = node.kind.mayOverwriteFirstInput && node.inputs.first.map { [a, b].contains($0) } == true
                        && node.outputs.contains(where: { [a, b].contains($0) }) && plan.lastUse[node.inputs[0]] == node.index
                    XCTAssertTrue(inPlace, "\(graph[a].name) and \(graph[b].name) share bytes while both live at \(node.name)",
                                  file: file, line: line)
                }
            }
            XCTAssertLessThanOrEqual(live.map { memory.offsets[$0]! + bytes($0) }.max() ?? 0, memory.size, file: file, line: line)
        }
        return mostLive
    }

    func testPlansOfBothModelsNeverShareLiveBytes() throws {
        for path in [TestModels.smollm2Path, TestModels.gemma3Path] {
            _ = try TestModels.open(path)
            let model = try Model(path)
            let engine = try Engine(model: model, backends: [BLASBackend(threads: 1)], policy: RoutingPolicy(["blas"]), contextLength: 1024)
            for tokens in [1, 7, 512] {
                let plan = try engine.plan(tokens: tokens, logits: .last)
                let mostLive = checkNoOverlap(plan)
                let total = plan.hostMemory.offsets.keys.reduce(0) { $0 + plan.graph[$1].elementCount * 4 }
                print("\(model.name), \(tokens)-token pass: block \(plan.hostMemory.size) bytes, most live at once \(mostLive), all activations \(total), \(plan.hostMemory.inPlaceCount) in place")
                XCTAssertGreaterThan(plan.hostMemory.inPlaceCount, 0)
                XCTAssertLessThan(plan.hostMemory.size, total / 20, "the block is a small fraction of all activations")
                // In-place writes make the block smaller than the live bytes summed naively, but
                // never by more than the largest value.
                XCTAssertLessThan(plan.hostMemory.size, mostLive * 2)
            }
        }
    }

    /// The logits and the KV cache a shared-block run leaves must equal those of a run where every
    /// output is fresh memory, bit for bit, on both backends and both models (a kernel that read
    /// its input after writing an aliased output, or a plan that reused live bytes, would differ).
    func testSharedActivationMemoryGivesIdenticalLogits() throws {
        for path in [TestModels.smollm2Path, TestModels.gemma3Path] {
            _ = try TestModels.open(path)
            let model = try Model(path)
            let prompt = Array(model.tokenizer.encode(try String(contentsOf: TestModels.fixture("eval-text.txt"), encoding: .utf8),
                                                      addSpecial: true, parseSpecial: false).prefix(37))
            for backend in [ReferenceBackend(threads: 2), BLASBackend(threads: 2)] as [any Backend] {
                let planner = try Planner(policy: RoutingPolicy([backend.name]), backends: [backend])
                var results: [[Float]] = []
                var activationBytes: [Int] = []
                for poison in [false, true] {
                    let executor = Executor(weights: WeightCache { model.file.weight($0) }, poisonOutputs: poison)
                    let state = SessionState()
                    var logits: [Float] = []
                    var position = 0
                    // A 32-token prefill, a 5-token one, then two decode steps.
                    for pass in [Array(prompt[0..<32]), Array(prompt[32..<37]), [prompt[3]], [prompt[9]]] {
                        let graph = model.architecture.graph(tokens: pass.count, contextLength: 64, maxBatch: 32, logits: .last)
                        let plan = try planner.plan(graph)
                        let out = try executor.run(plan, pass: PassContext(tokens: pass, startPosition: position), state: state)
                        logits += out[graph.outputs[0]]!.array
                        position += pass.count
                        if !poison { activationBytes.append(state.activationBytes) }
                    }
                    results.append(logits)
                }
                XCTAssertEqual(results[0], results[1], "\(model.name) on \(backend.name): shared activation memory changed the logits")
                // The block follows the pass: megabytes for the prefill, given back for decode.
                XCTAssertGreaterThan(activationBytes[0], 100_000)
                XCTAssertLessThan(activationBytes[3], activationBytes[0] / 4)
            }
        }
    }
}
