import Switchyard

/// How large each activation of a model gets, measured the way NPU converters calibrate: one pass
/// over a short, varied text on the CPU backends, keeping every activation's largest magnitude by
/// value name. A backend with a narrow number format (`Backend.wantsActivationMagnitudes`) reads
/// these through `ForwardGraph.largestMagnitudes` to keep ops that overflow it off its unit.
enum Calibration {
    /// Prose, a list, code and numbers: text of the kinds a chat model sees.
    static let text = """
        The committee met on Tuesday to review the budget. Three proposals were discussed: a new \
        library wing, repairs to the bridge on Mill Road, and longer opening hours at the pool. \
        1. Costs rose 4.5% since 2023. 2. The survey had 1,284 replies.
        def mean(values): return sum(values) / len(values)
        "Why does the sky look blue?" she asked. Sunlight scatters off air molecules, and blue \
        light scatters more than red, so the whole sky glows blue while the sun looks yellow.
        """

    /// Tokens in the calibration pass.
    static let tokens = 128

    /// Runs the calibration pass of `model` on `backends` (CPU backends, in order of preference).
    static func measure(_ model: Model, on backends: [any Backend]) throws -> [String: Float] {
        let engine = try Engine(model: model, backends: backends, policy: RoutingPolicy(backends.map(\.name)),
                                contextLength: tokens, batchSize: tokens)
        let ids = Array(model.tokenizer.encode(text, addSpecial: true, parseSpecial: false).prefix(tokens))
        let (_, values) = try engine.makeSession().trace(ids)
        return values.mapValues(\.largestMagnitude)
    }
}
