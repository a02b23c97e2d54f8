import Hummingbird
import Synchronization
import SwitchyardModels

/// Runs checked requests on the engine: takes a slot, opens a session of its own for the request
/// (its own KV cache), generates, and answers as one JSON object or as a stream of server-sent events.
final class CompletionService: Sendable {
    let engine: Engine
    let preparation: RequestPreparation
    let slots: SlotPool
    let metrics: ServerMetrics
    let modelID: String
    private let serial = Atomic<Int>(0)

    init(engine: Engine, configuration: ServerConfiguration) {
        self.engine = engine
        modelID = configuration.modelID
        preparation = RequestPreparation(engine: engine, modelID: configuration.modelID)
        let metrics = ServerMetrics(parallel: configuration.parallel, queueLimit: configuration.queueLimit)
        self.metrics = metrics
        slots = SlotPool(parallel: configuration.parallel, queueLimit: configuration.queueLimit) { active, waiting in
            metrics.occupancy(active: active, waiting: waiting)
        }
    }

    /// Answers `request`: waits for a slot, then generates.
    /// - Throws: `APIError.queueFull` when no slot is free and the queue is full; `APIError` (500)
    ///   when a non-streamed generation fails. (A streamed one that fails ends its stream with an error event.)
    func respond(to request: GenerationRequest, arrived: ContinuousClock.Instant) async throws -> Response {
        let lease = try await slots.acquire()
        let id = (request.kind == .chat ? "chatcmpl-" : "cmpl-") + String(serial.add(1, ordering: .relaxed).newValue)
        if request.stream {
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { [self] writer in
                                try await stream(request, id: id, arrived: arrived, events: generate(request, lease: lease), to: &writer)
                            })
        }
        return try await whole(request, id: id, arrived: arrived, events: generate(request, lease: lease))
    }

    /// Starts the request's generation in a new session (its own KV cache). When the generation has
    /// stopped — finished, failed, or cancelled because its stream was dropped — its counts go to
    /// the metrics and its slot is freed, from the generation's own thread: the slot is free exactly
    /// when the session runs no more passes.
    private func generate(_ request: GenerationRequest, lease: SlotLease) -> AsyncThrowingStream<GenerationEvent, any Error> {
        engine.makeSession().generate(tokens: request.promptTokens, options: request.options) { [metrics] result in
            if case .success(let summary) = result {
                metrics.generationFinished(summary, completionTokens: Self.completionTokens(summary))
                if summary.stopReason == .cancelled { metrics.generationCancelled() }
            }
            lease.release()
        }
    }

    /// Hands each text piece of `events` to `take` (the first one's latency goes to the metrics)
    /// until `take` returns false or the generation finishes; returns its summary, if it came.
    private func consume(_ events: AsyncThrowingStream<GenerationEvent, any Error>, arrived: ContinuousClock.Instant,
                         _ take: (String) async -> Bool) async throws -> GenerationSummary? {
        var first = true
        for try await event in events {
            switch event {
            case .text(let piece):
                if first { metrics.firstTokenArrived(after: (ContinuousClock.now - arrived).seconds); first = false }
                if await !take(piece) { return nil }
            case .finished(let summary):
                return summary
            }
        }
        return nil
    }

    /// Generates the whole answer, then answers with it.
    private func whole(_ request: GenerationRequest, id: String, arrived: ContinuousClock.Instant,
                       events: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> Response {
        var text = request.echoText
        let summary: GenerationSummary?
        do {
            summary = try await consume(events, arrived: arrived) { piece in text += piece; return true }
        } catch {
            throw Self.apiError(error)
        }
        guard let summary else { throw APIError.generationFailed(GenerationEndedEarly()) }
        let usage = Self.usage(summary)
        let finish = Self.finishReason(summary.stopReason)
        switch request.kind {
        case .chat:
            return JSONBody.response(ChatCompletion(id: id, created: JSONBody.now, model: modelID,
                                                    choices: [.init(message: .init(content: text), finishReason: finish)], usage: usage))
        case .completion:
            return JSONBody.response(TextCompletion(id: id, created: JSONBody.now, model: modelID,
                                                    choices: [.init(text: text, finishReason: finish)], usage: usage))
        }
    }

    /// Streams the answer as OpenAI's chunks, ending with `data: [DONE]`. A write that fails means
    /// the client went away: leaving this function drops the generation's stream, which stops the
    /// generation before its next token, and the caller frees the slot.
    private func stream(_ request: GenerationRequest, id: String, arrived: ContinuousClock.Instant,
                        events: AsyncThrowingStream<GenerationEvent, any Error>, to writer: inout any ResponseBodyWriter) async throws {
        let created = JSONBody.now
        func chunk(_ text: String?, role: String? = nil, finish: String? = nil, usage: Usage? = nil, noChoices: Bool = false) -> ByteBuffer {
            switch request.kind {
            case .chat:
                let choices: [ChatCompletionChunk.Choice] = noChoices ? [] : [.init(delta: .init(role: role, content: text), finishReason: finish)]
                return JSONBody.event(ChatCompletionChunk(id: id, created: created, model: modelID, choices: choices, usage: usage))
            case .completion:
                let choices: [TextCompletion.Choice] = noChoices ? [] : [.init(text: text ?? "", finishReason: finish)]
                return JSONBody.event(TextCompletion(id: id, created: created, model: modelID, choices: choices, usage: usage))
            }
        }

        var clientGone = false
        var summary: GenerationSummary?
        do {
            switch request.kind {
            case .chat: try await writer.write(chunk("", role: "assistant"))
            case .completion: if !request.echoText.isEmpty { try await writer.write(chunk(request.echoText)) }
            }
            do {
                summary = try await consume(events, arrived: arrived) { piece in
                    do { try await writer.write(chunk(piece)); return true } catch { clientGone = true; return false }
                }
            } catch let error where !clientGone {
                // The generation failed: say so in the stream, then end it as OpenAI's streams end.
                let failure = Self.apiError(error)
                try await writer.write(JSONBody.event(ErrorBody(failure)))
                try await writer.write(JSONBody.done)
                try await writer.finish(nil)
                return
            }
        } catch {
            clientGone = true
        }
        if clientGone {
            // Nobody to answer: the connection is closed. Returning drops the generation's stream,
            // which stops it; its end frees the slot and counts it as cancelled.
            return
        }
        guard let summary else { return }
        let usage = Self.usage(summary)
        try await writer.write(chunk(nil, finish: Self.finishReason(summary.stopReason)))
        if request.includeUsage { try await writer.write(chunk(nil, usage: usage, noChoices: true)) }
        try await writer.write(JSONBody.done)
        try await writer.finish(nil)
    }

    /// The tokens a generation produced. `generatedTokens` counts the end-of-generation token that
    /// ended it; OpenAI's usage does not.
    static func completionTokens(_ summary: GenerationSummary) -> Int {
        summary.generatedTokens - (summary.stopReason == .endOfGeneration ? 1 : 0)
    }

    /// A generation's token counts as OpenAI reports them.
    static func usage(_ summary: GenerationSummary) -> Usage {
        Usage(promptTokens: summary.promptTokens, completionTokens: completionTokens(summary))
    }

    /// OpenAI's `finish_reason`: `stop` at the end of the answer or a stop string, `length` at the token limit.
    static func finishReason(_ reason: StopReason) -> String {
        switch reason {
        case .endOfGeneration, .stopString, .cancelled: return "stop"
        case .maxTokens, .contextFull: return "length"
        }
    }

    /// A generation stream that ended without its summary (it was cancelled).
    struct GenerationEndedEarly: Error, CustomStringConvertible {
        var description: String { "the generation ended before it finished (cancelled)" }
    }

    /// A generation's error as the answer it gets.
    static func apiError(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        if case ModelError.promptTooLong(let tokens, let context)? = error as? ModelError {
            return .contextExceeded(promptTokens: tokens, context: context)
        }
        return .generationFailed(error)
    }
}
