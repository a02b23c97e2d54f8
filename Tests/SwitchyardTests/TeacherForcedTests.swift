import Foundation
import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardReference

/// The reference backend against llama.cpp (its OpenBLAS build, the closest it gets to exact
/// arithmetic) on a fixed text, teacher-forced: at each position the top-1 predicted token must be
/// llama.cpp's, except where llama.cpp's own top two logits nearly tie.
/// Fixture: Fixtures/logits-smollm2.json, made by scripts/fixtures/make_logit_fixtures.py.
final class TeacherForcedTests: XCTestCase {
    struct Fixture: Decodable {
        struct Position: Decodable { let pos: Int; let token: Int32; let next: Int32; let top5: [[Double]] }
        let tokens: [Int32]
        let perplexity: Double
        let positions: [Position]
    }

    func testReferenceTop1AgreesWithLlamaCppOnSmolLM2() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: TestModels.fixture("logits-smollm2.json")))
        let model = try Model(TestModels.smollm2Path)
        let text = try String(contentsOf: TestModels.fixture("eval-text.txt"), encoding: .utf8)
        XCTAssertEqual(model.tokenizer.encode(text, addSpecial: true, parseSpecial: false), fixture.tokens,
                       "the tokenizer must give llama.cpp's tokens for the text")

        let engine = try Engine(model: model, backends: [ReferenceBackend()], policy: RoutingPolicy(["reference"]),
                                contextLength: fixture.tokens.count, batchSize: 256)
        let logits = try engine.makeSession().forward(fixture.tokens, logits: .all)
        let score = AgreementReport(logits: logits, fixture: fixture)
        print("""
            SmolLM2 reference vs llama.cpp (OpenBLAS): top-1 agreement \(score.agreed)/\(score.total) \
            (\(String(format: "%.2f", 100 * score.agreement))%), largest top-1 logit difference \(String(format: "%.4f", score.largestLogitDifference)), \
            perplexity \(String(format: "%.4f", score.perplexity)) (llama.cpp \(String(format: "%.4f", fixture.perplexity))), \
            disagreements at llama.cpp top-2 margins \(score.disagreementMargins.map { String(format: "%.4f", $0) })
            """)
        XCTAssertGreaterThanOrEqual(score.agreement, 0.99)
        for margin in score.disagreementMargins { XCTAssertLessThan(margin, 0.5, "a disagreement where llama.cpp is confident") }
        XCTAssertLessThan(score.largestLogitDifference, 0.1)
        XCTAssertEqual(score.perplexity, fixture.perplexity, accuracy: fixture.perplexity * 0.01)
    }
}

/// Top-1 agreement of logits with a llama.cpp fixture.
struct AgreementReport {
    var agreed = 0, total = 0
    var largestLogitDifference = 0.0
    var disagreementMargins: [Double] = []
    var perplexity = 0.0
    var agreement: Double { Double(agreed) / Double(max(total, 1)) }

    init(logits: HostTensor, fixture: TeacherForcedTests.Fixture) {
        var nll = 0.0
        for p in fixture.positions {
            let row = UnsafeBufferPointer(start: logits.row(p.pos), count: logits.columns)
            var best = 0
            for i in row.indices where row[i] > row[best] { best = i }
            let theirs = Int(p.top5[0][0])
            total += 1
            if best == theirs { agreed += 1 } else { disagreementMargins.append(p.top5[0][1] - p.top5[1][1]) }
            largestLogitDifference = max(largestLogitDifference, abs(Double(row[theirs]) - p.top5[0][1]))
            let m = Double(row[best])
            nll += log(row.reduce(0.0) { $0 + exp(Double($1) - m) }) + m - Double(row[Int(p.next)])
        }
        perplexity = exp(nll / Double(max(total, 1)))
    }
}
