import Foundation
import Synchronization
import XCTest
import Switchyard
import SwitchyardBLAS
import SwitchyardModels

/// Many sessions of one engine from many tasks: each sequence's tokens are its own, and cancelling
/// a consumer stops its generation (the Swift API under `switchyard serve`).
final class SessionConcurrencyTests: XCTestCase {
    static let prompts = ["The capital of France is", "1, 2, 3, 4,", "Once upon a time", "Bees make"]

    func engine() throws -> Engine {
        _ = try TestModels.open(TestModels.smollm2Path)
        return try Engine(model: try Model(TestModels.smollm2Path), backends: [BLASBackend(threads: 2)],
                          policy: RoutingPolicy(["blas"]), contextLength: 128)
    }

    static func text(_ session: Session, _ prompt: String, tokens: Int) async throws -> String {
        var text = ""
        for try await piece in session.generate(prompt, options: GenerationOptions(maxTokens: tokens, sampling: .greedy)).textOnly() {
            text += piece
        }
        return text
    }

    func testSessionsGeneratingAtOnceGiveTheirAnswersAlone() async throws {
        let engine = try engine()
        var alone: [String] = []
        for prompt in Self.prompts { alone.append(try await Self.text(engine.makeSession(), prompt, tokens: 10)) }
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, prompt) in Self.prompts.enumerated() {
                group.addTask { (i, try await Self.text(engine.makeSession(), prompt, tokens: 10)) }
            }
            var texts = [String](repeating: "", count: Self.prompts.count)
            for try await (i, text) in group { texts[i] = text }
            return texts
        }
        for i in Self.prompts.indices {
            XCTAssertEqual(together[i], alone[i], "prompt \(i) (\(Self.prompts[i])) together vs alone")
            XCTAssertFalse(alone[i].isEmpty, "prompt \(i) generated nothing")
        }
    }

    func testCancellingTheConsumerStopsTheGenerationAndReportsIt() async throws {
        let engine = try engine()
        let ended = Mutex<GenerationSummary?>(nil)
        let done = DispatchSemaphore(value: 0)
        let prompt = engine.model.tokenizer.encode("1, 2, 3, 4,", addSpecial: true, parseSpecial: false)
        let consumer = Task {
            var pieces = 0
            let stream = engine.makeSession().generate(tokens: prompt, options: GenerationOptions(maxTokens: 100, sampling: .greedy)) { result in
                if case .success(let summary) = result { ended.withLock { $0 = summary } }
                done.signal()
            }
            for try await event in stream {
                if case .text = event { pieces += 1 }
                if pieces == 3 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        _ = await consumer.result
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success, "the generation never ended")
        let summary = try XCTUnwrap(ended.withLock { $0 })
        XCTAssertEqual(summary.stopReason, .cancelled)
        XCTAssertLessThan(summary.generatedTokens, 100)
    }
}
