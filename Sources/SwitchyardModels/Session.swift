import Switchyard

/// One sequence: its KV cache and the tokens in it. Passes append to the cache, so a chat can go on
/// from where the last turn stopped without recomputing it. A session runs one pass at a time.
public final class Session: @unchecked Sendable {
    public let engine: Engine
    /// Tokens whose keys and values are in the cache, in order.
    public private(set) var tokens: [Int32] = []
    let state = SessionState()
    /// Per-op timings of this session's passes, when set.
    public var profile: OpProfile?

    init(engine: Engine) { self.engine = engine }

    /// Positions still free in the cache.
    public var remainingContext: Int { engine.contextLength - tokens.count }
    /// Transfers and segments run so far.
    public var transferCount: Int { state.transferCount }
    public var transferBytes: Int { state.transferBytes }
    public var segmentCount: Int { state.segmentCount }

    /// Runs `newTokens` through the model after the tokens already cached, in passes of at most the
    /// engine's batch size, and returns the logits: `[1, vocab]` for `.last`, `[newTokens, vocab]` for `.all`.
    /// - Throws: `ModelError.promptTooLong` when they do not fit the context; backend errors.
    public func forward(_ newTokens: [Int32], logits: LogitRows) throws -> HostTensor {
        precondition(!newTokens.isEmpty, "forward needs at least one token")
        guard newTokens.count <= remainingContext else {
            throw ModelError.promptTooLong(tokens: tokens.count + newTokens.count, context: engine.contextLength)
        }
        let vocabulary = engine.model.architecture.vocabularySize
        for t in newTokens where t < 0 || Int(t) >= vocabulary {
            throw ExecutionError.tokenOutOfRange(token: t, vocabularySize: vocabulary)
        }
        var collected: HostTensor?
        var rowsDone = 0
        if logits == .all { collected = HostTensor(shape: [newTokens.count, vocabulary]) }
        for start in stride(from: 0, to: newTokens.count, by: engine.batchSize) {
            let batch = Array(newTokens[start..<min(start + engine.batchSize, newTokens.count)])
            let plan = try engine.plan(tokens: batch.count, logits: logits)
            let outputs = try engine.executor.run(plan, pass: PassContext(tokens: batch, startPosition: tokens.count),
                                                  state: state, profile: profile)
            tokens += batch
            let out = outputs[plan.graph.outputs[0]]!
            if let all = collected {
                (all.storage.baseAddress! + rowsDone * vocabulary).update(from: out.storage.baseAddress!, count: out.count)
                rowsDone += batch.count
            } else {
                collected = out
            }
        }
        return collected!
    }

    /// Forgets the cached tokens (the cache is reused for a new sequence).
    public func reset() { tokens = []; state.reset() }

    /// Streams the continuation of `prompt` after what the session already holds.
    public func generate(_ prompt: String, options: GenerationOptions) -> AsyncThrowingStream<GenerationEvent, Error> {
        let tokenizer = engine.model.tokenizer
        let promptTokens = tokenizer.encode(prompt, addSpecial: options.addSpecial && tokens.isEmpty, parseSpecial: options.parseSpecial)
        return generate(tokens: promptTokens, options: options)
    }

    /// Streams the continuation of `promptTokens` after what the session already holds.
    public func generate(tokens promptTokens: [Int32], options: GenerationOptions) -> AsyncThrowingStream<GenerationEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached { [self] in
                do {
                    let summary = try self.run(promptTokens, options) { continuation.yield(.text($0)) }
                    continuation.yield(.finished(summary))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The generation loop: prefill the prompt, then sample, stream and decode one token at a time.
    private func run(_ prompt: [Int32], _ options: GenerationOptions, emit: (String) -> Void) throws -> GenerationSummary {
        let tokenizer = engine.model.tokenizer
        var summary = GenerationSummary()
        summary.promptTokens = prompt.count
        guard !prompt.isEmpty else { throw ModelError.emptyPrompt }
        guard prompt.count < remainingContext else {
            throw ModelError.promptTooLong(tokens: tokens.count + prompt.count, context: engine.contextLength)
        }
        var sampler = Sampler(options.sampling)
        var decoder = TextStreamDecoder()
        var stops = StopStringFilter(options.stopStrings)
        let clock = ContinuousClock()

        let prefillStart = clock.now
        var logits = try forward(prompt, logits: .last)
        summary.prefillSeconds = (clock.now - prefillStart).seconds
        let decodeStart = clock.now
        defer { summary.decodeSeconds = (clock.now - decodeStart).seconds }

        summary.stopReason = .maxTokens
        while summary.generatedTokens < options.maxTokens {
            if Task.isCancelled { summary.stopReason = .cancelled; break }
            let token = sampler.sample(UnsafeBufferPointer(logits.storage), recent: tokens)
            summary.generatedTokens += 1
            if tokenizer.isEndOfGeneration(token) { summary.stopReason = .endOfGeneration; break }
            let (ready, stopped) = stops.push(decoder.push(tokenizer.bytes(of: token, renderSpecial: false)))
            if !ready.isEmpty { emit(ready) }
            if stopped { summary.stopReason = .stopString; break }
            if summary.generatedTokens == options.maxTokens { break }
            if remainingContext == 0 { summary.stopReason = .contextFull; break }
            logits = try forward([token], logits: .last)
        }
        if summary.stopReason != .stopString {
            let rest = stops.push(decoder.flush()).ready + stops.flush()
            if !rest.isEmpty { emit(rest) }
        }
        summary.decodeSeconds = (clock.now - decodeStart).seconds
        return summary
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
