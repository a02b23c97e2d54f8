import ArgumentParser
import Switchyard
import SwitchyardModels
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard score`: a teacher-forced pass over a text, like llama-perplexity.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Teacher-force a text through the model: perplexity, or per-position predictions with --json.")

    @OptionGroup var model: ModelOption
    @Option(name: [.customShort("f"), .long], help: "The text file to score.")
    var file: String
    @Flag(name: .long, help: "Print per position the token id, the top-1 predicted id and logit, and the top-5 ids and logits, as JSON.")
    var json = false
    @Option(name: .long, help: "KV cache size in tokens (default: the text's length).")
    var context: Int?
    @OptionGroup var selection: BackendSelection

    func run() throws {
        let loaded = try model.load()
        let text = try TextFile.read(file)
        let tokens = loaded.tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        guard tokens.count >= 2 else { throw ValidationError("the text has \(tokens.count) tokens; scoring needs at least 2") }
        let (policy, backends) = try selection.resolve()
        let engine = try Engine(model: loaded, backends: backends, policy: policy, contextLength: context ?? tokens.count,
                                batchSize: 256)
        let session = engine.makeSession()
        let logits = try session.forward(tokens, logits: .all)
        let result = TeacherForcedScore(logits: logits, tokens: tokens)
        if json {
            print(result.json(modelPath: loaded.path, policy: policy.description))
        } else {
            print("tokens: \(tokens.count), predicted positions: \(tokens.count - 1)")
            print("perplexity: \(result.perplexity)")
        }
    }
}

/// Per-position predictions of a teacher-forced pass: position i's logits predict token i+1.
struct TeacherForcedScore {
    struct Position { let token: Int32; let next: Int32; let top: [(id: Int32, logit: Float)]; let nll: Double }
    let positions: [Position]

    init(logits: HostTensor, tokens: [Int32]) {
        var positions: [Position] = []
        for i in 0..<(tokens.count - 1) {
            let row = UnsafeBufferPointer(start: logits.row(i), count: logits.columns)
            var top: [(id: Int32, logit: Float)] = []
            var maxLogit = -Float.infinity
            for (id, l) in row.enumerated() {
                maxLogit = max(maxLogit, l)
                if top.count < 5 || l > top[4].logit {
                    top.append((Int32(id), l))
                    top.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
                    if top.count > 5 { top.removeLast() }
                }
            }
            var sum = 0.0
            for l in row { sum += exp(Double(l - maxLogit)) }
            let nll = log(sum) + Double(maxLogit) - Double(row[Int(tokens[i + 1])])
            positions.append(Position(token: tokens[i], next: tokens[i + 1], top: top, nll: nll))
        }
        self.positions = positions
    }

    var perplexity: Double { exp(positions.reduce(0) { $0 + $1.nll } / Double(positions.count)) }

    func json(modelPath: String, policy: String) -> String {
        var out = "{\"model\": \(JSON.string(modelPath)), \"policy\": \(JSON.string(policy)), \"perplexity\": \(JSON.number(perplexity)), \"positions\": [\n"
        out += positions.enumerated().map { i, p in
            let top5 = p.top.map { "[\($0.id), \(JSON.number($0.logit))]" }.joined(separator: ", ")
            return "{\"pos\": \(i), \"token\": \(p.token), \"next\": \(p.next), \"top1\": \(p.top[0].id), \"top1_logit\": \(JSON.number(p.top[0].logit)), \"top5\": [\(top5)], \"nll\": \(JSON.number(p.nll))}"
        }.joined(separator: ",\n")
        return out + "\n]}"
    }
}
