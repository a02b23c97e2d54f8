import Dispatch
import Switchyard
import Synchronization

/// One sequence: its KV cache and the tokens in it. Passes append to the cache, so a chat can go on
/// from where the last turn stopped without recomputing it.
///
/// A session may be used from any task or thread; it runs one pass at a time (`forward`, `trace` and
/// `reset` wait for a pass in progress). Many sessions of one engine generate at once, each with its
/// own cache; their passes take turns on the engine's backends.
public final class Session: @unchecked Sendable {
    // @unchecked: `state` (the KV cache and counters) is only touched inside a pass, with `exclusive`
    // held; `cached` is behind its own lock; `profile` is set before passes run (documented below).
    public let engine: Engine
    /// Held for the length of each pass of this session.
    private let exclusive = Mutex(())
    private let cached = Mutex<[Int32]>([])
    /// Tokens whose keys and values are in the cache, in order.
    public var tokens: [Int32] { cached.withLock { $0 } }
    let state = SessionState()
    /// Per-op timings of this session's passes, when set. Set it before starting passes, not while
    /// one runs.
    public nonisolated(unsafe) var profile: OpProfile?

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
        try exclusive.withLock { _ in try forwardHoldingLock(newTokens, logits: logits) }
    }

    private func forwardHoldingLock(_ newTokens: [Int32], logits: LogitRows) throws -> HostTensor {
        precondition(!newTokens.isEmpty, "forward needs at least one token")
        guard newTokens.count <= remainingContext else {
            throw ModelError.promptTooLong(tokens: tokens.count + newTokens.count, context: engine.contextLength)
        }
        let vocabulary = engine.model.architecture.vocabularySize
        for t in newTokens where t < 0 || Int(t) >= vocabulary {
            throw ExecutionError.tokenOutOfRange(token: t, vocabularySize: vocabulary)
        }
        // .all: every pass's rows copied into one tensor; .last: the last pass's single row.
        let all = logits == .all ? HostTensor(shape: [newTokens.count, vocabulary]) : nil
        var last: HostTensor?
        var rowsDone = 0
        for start in stride(from: 0, to: newTokens.count, by: engine.batchSize) {
            let batch = Array(newTokens[start..<min(start + engine.batchSize, newTokens.count)])
            let plan = try engine.plan(tokens: batch.count, logits: logits)
            let outputs = try engine.runPass(plan, pass: PassContext(tokens: batch, startPosition: tokens.count),
                                             state: state, profile: profile)
            cached.withLock { $0 += batch }
            let out = outputs[plan.graph.outputs[0]]!
            if let all {
                (all.storage.baseAddress! + rowsDone * vocabulary).update(from: out.storage.baseAddress!, count: out.count)
                rowsDone += batch.count
            } else {
                last = out
            }
        }
        return all ?? last!
    }

    /// Runs one pass over `newTokens` (at most the engine's batch size) and returns every
    /// activation by value name, in host memory, with the graph that names them. For cross-checks.
    public func trace(_ newTokens: [Int32]) throws -> (graph: ForwardGraph, values: [String: HostTensor]) {
        try exclusive.withLock { _ in try traceHoldingLock(newTokens) }
    }

    private func traceHoldingLock(_ newTokens: [Int32]) throws -> (graph: ForwardGraph, values: [String: HostTensor]) {
        precondition(!newTokens.isEmpty && newTokens.count <= engine.batchSize, "trace takes one pass of at most the batch size")
        guard newTokens.count <= remainingContext else {
            throw ModelError.promptTooLong(tokens: tokens.count + newTokens.count, context: engine.contextLength)
        }
        let plan = try engine.plan(tokens: newTokens.count, logits: .all, keepActivations: true)
        let outputs = try engine.runPass(plan, pass: PassContext(tokens: newTokens, startPosition: tokens.count), state: state, profile: profile)
        cached.withLock { $0 += newTokens }
        return (plan.graph, Dictionary(uniqueKeysWithValues: outputs.map { (plan.graph[$0.key].name, $0.value) }))
    }

    /// Forgets the cached tokens (the cache is reused for a new sequence).
    public func reset() {
        exclusive.withLock { _ in
            cached.withLock { $0 = [] }
            state.reset()
        }
    }

    /// Streams the continuation of `prompt` after what the session already holds.
    public func generate(_ prompt: String, options: GenerationOptions) -> AsyncThrowingStream<GenerationEvent, Error> {
        let tokenizer = engine.model.tokenizer
        let promptTokens = tokenizer.encode(prompt, addSpecial: options.addSpecial && tokens.isEmpty, parseSpecial: options.parseSpecial)
        return generate(tokens: promptTokens, options: options)
    }

    /// Streams the continuation of `promptTokens` after what the session already holds.
    ///
    /// The generation runs on a thread of its own (its passes block while they compute, and would
    /// otherwise hold one of the few threads of Swift's cooperative pool for the whole answer).
    /// Cancelling the consuming task, or dropping the stream, stops it before its next token.
    /// - Parameters:
    ///   - promptTokens: the token ids to prefill (the model's special tokens included).
    ///   - options: length, sampling and stop strings.
    ///   - onEnd: called on the generation's thread once it has stopped for any reason — its
    ///     summary (`.cancelled` when the consumer went away, with the tokens made until then), or the
    ///     error that ended it. After it the session runs no more passes for this generation, so a
    ///     server can hand the session's slot to the next request.
    public func generate(tokens promptTokens: [Int32], options: GenerationOptions,
                         onEnd: (@Sendable (Result<GenerationSummary, any Error>) -> Void)? = nil) -> AsyncThrowingStream<GenerationEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let stop = GenerationStop()
        continuation.onTermination = { _ in stop.request() }
        DispatchQueue(label: "switchyard.session.generate").async { [self] in
            do {
                let outcome = try self.runGeneration(promptTokens, options, shouldStop: stop.isRequested) {
                    continuation.yield(.text($0))
                }
                continuation.yield(.finished(outcome.summary))
                continuation.finish()
                onEnd?(.success(outcome.summary))
            } catch {
                continuation.finish(throwing: error)
                onEnd?(.failure(error))
            }
        }
        return stream
    }

    /// What one generation produced: its summary, the tokens generated (end-of-generation token
    /// left out), and the last of them when it was sampled but not yet fed to the cache.
    struct GenerationOutcome {
        var summary = GenerationSummary()
        var tokens: [Int32] = []
        var unfed: Int32?
    }

    /// The generation loop: prefill the prompt, then sample, stream and decode one token at a time.
    /// - Parameters:
    ///   - extraStopStrings: stop strings besides the options' own.
    ///   - shouldStop: polled before each token; true ends generation as cancelled.
    ///   - afterPrefill: called once the prompt is in the cache.
    func runGeneration(_ prompt: [Int32], _ options: GenerationOptions, extraStopStrings: [String] = [],
                       shouldStop: () -> Bool = { false }, afterPrefill: () -> Void = {},
                       emit: (String) -> Void) throws -> GenerationOutcome {
        let tokenizer = engine.model.tokenizer
        var outcome = GenerationOutcome()
        outcome.summary.promptTokens = prompt.count
        guard !prompt.isEmpty else { throw ModelError.emptyPrompt }
        // Room for the prompt and at least one generated token.
        guard prompt.count < remainingContext else {
            throw ModelError.promptTooLong(tokens: tokens.count + prompt.count, context: engine.contextLength)
        }
        var sampler = Sampler(options.sampling)
        var decoder = TextStreamDecoder()
        var stops = StopStringFilter(options.stopStrings + extraStopStrings)
        let clock = ContinuousClock()

        let prefillStart = clock.now
        var logits = try forward(prompt, logits: .last)
        outcome.summary.prefillSeconds = (clock.now - prefillStart).seconds
        afterPrefill()

        let decodeStart = clock.now
        outcome.summary.stopReason = .maxTokens
        while outcome.summary.generatedTokens < options.maxTokens {
            if Task.isCancelled || shouldStop() { outcome.summary.stopReason = .cancelled; break }
            let token = sampler.sample(UnsafeBufferPointer(logits.storage), recent: tokens)
            outcome.summary.generatedTokens += 1
            if tokenizer.isEndOfGeneration(token) { outcome.summary.stopReason = .endOfGeneration; break }
            outcome.tokens.append(token)
            outcome.unfed = token
            let (ready, stopped) = stops.push(decoder.push(tokenizer.bytes(of: token, renderSpecial: false)))
            if !ready.isEmpty { emit(ready) }
            if stopped { outcome.summary.stopReason = .stopString; break }
            if outcome.summary.generatedTokens == options.maxTokens { break }
            if remainingContext == 0 { outcome.summary.stopReason = .contextFull; break }
            logits = try forward([token], logits: .last)
            outcome.unfed = nil
        }
        if outcome.summary.stopReason != .stopString {
            let rest = stops.push(decoder.flush()).ready + stops.flush()
            if !rest.isEmpty { emit(rest) }
        }
        outcome.summary.decodeSeconds = (clock.now - decodeStart).seconds
        return outcome
    }
}

/// A flag that asks a generation running on another thread to stop before its next token.
final class GenerationStop: Sendable {
    private let flag = Atomic<Bool>(false)
    func request() { flag.store(true, ordering: .relaxed) }
    @Sendable func isRequested() -> Bool { flag.load(ordering: .relaxed) }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
