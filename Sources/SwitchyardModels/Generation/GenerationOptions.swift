/// What to generate and how to pick tokens.
public struct GenerationOptions: Sendable {
    /// The most tokens to generate.
    public var maxTokens: Int
    public var sampling: SamplingOptions
    /// Text that ends generation when it appears (not included in the output).
    public var stopStrings: [String]
    /// Add the BOS token when the model's tokenizer asks for one.
    public var addSpecial: Bool
    /// Turn special-token texts in the prompt (e.g. "<|im_start|>") into their ids.
    public var parseSpecial: Bool

    public init(maxTokens: Int = 128, sampling: SamplingOptions = SamplingOptions(), stopStrings: [String] = [],
                addSpecial: Bool = true, parseSpecial: Bool = true) {
        self.maxTokens = maxTokens; self.sampling = sampling; self.stopStrings = stopStrings
        self.addSpecial = addSpecial; self.parseSpecial = parseSpecial
    }
}

/// Why generation ended.
public enum StopReason: String, Sendable {
    case endOfGeneration, stopString, maxTokens, contextFull, cancelled
}

/// Counts and times of one generation.
public struct GenerationSummary: Sendable {
    public var promptTokens = 0
    public var generatedTokens = 0
    public var prefillSeconds = 0.0
    public var decodeSeconds = 0.0
    public var stopReason = StopReason.maxTokens

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    /// Decode speed over the tokens after the first (each of which took one decode pass).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(max(generatedTokens - 1, 0)) / decodeSeconds : 0 }
}

/// What a generation stream yields: text as it becomes ready, then a summary.
public enum GenerationEvent: Sendable {
    case text(String)
    case finished(GenerationSummary)
}

extension AsyncThrowingStream where Element == GenerationEvent, Failure == Error {
    /// The text pieces alone.
    public func textOnly() -> AsyncThrowingStream<String, Error> {
        let (text, continuation) = AsyncThrowingStream<String, Error>.makeStream()
        let forward = Task {
            do {
                for try await event in self { if case .text(let piece) = event { continuation.yield(piece) } }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in forward.cancel() }
        return text
    }
}
