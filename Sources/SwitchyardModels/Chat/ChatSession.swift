import Switchyard
import Synchronization

/// A conversation with a model that keeps every turn in one session's KV cache.
///
/// Each `send` prefills only what the conversation adds since the last answer — the end of that
/// answer's turn and the new user turn with the assistant's opening — and never recomputes earlier
/// turns. Once `pendingTokens` are fed (by the next `send` or by `commitPendingTokens()`), the cache
/// holds exactly the text of `template.render(history, addGenerationPrompt: false)`, each answer as
/// the tokens the model generated. (Gemma's template trims contents: an answer that starts or ends
/// with whitespace stays in the cache as generated. An answer cut by one of `options.stopStrings` keeps
/// the stop string's tokens, and its recorded text holds the stop string.)
///
/// One answer is generated at a time: a `send` made while an answer is still running starts after it.
public final class ChatSession: @unchecked Sendable {
    /// The sequence whose cache holds the conversation.
    public let session: Session
    public let template: ChatTemplate

    private struct State {
        var history: [ChatMessage] = []
        var pendingTokens: [Int32] = []
        var lastPrefillTokens = 0
    }
    private let state = Mutex(State())
    /// The task generating the latest answer; the next one waits for it.
    private let running = Mutex<Task<Void, Never>?>(nil)
    private let stopRequested = Atomic<Bool>(false)

    /// A new conversation in a fresh session of `engine`.
    /// - Parameters:
    ///   - engine: the loaded model, its backends and its policy.
    ///   - template: the turn layout; by default the one `ChatTemplate.detect(for:)` picks for the model.
    ///   - system: a system message opening the conversation (Gemma puts it in front of the first user turn).
    public init(engine: Engine, template: ChatTemplate? = nil, system: String? = nil) {
        session = engine.makeSession()
        self.template = template ?? ChatTemplate.detect(for: engine.model)
        if let system { state.withLock { $0.history = [.system(system)] } }
    }

    /// The conversation so far: the system message if any, then user and assistant messages. An answer
    /// is recorded as the text of the tokens generated (the end-of-generation token left out).
    public var history: [ChatMessage] { state.withLock { $0.history } }

    /// How many tokens the last `send` prefilled: the pending tokens of the previous answer plus the
    /// new turn.
    public var lastPrefillTokens: Int { state.withLock { $0.lastPrefillTokens } }

    /// Tokens of the conversation not in the cache yet: the last answer's final token when it was
    /// sampled but not fed (the answer hit its token limit), then the end of its turn (`template.endOfTurn`).
    /// The next `send` prefills them first.
    public var pendingTokens: [Int32] { state.withLock { $0.pendingTokens } }

    /// Ends the answer being generated (if any) after its current token, as cancelling would; its
    /// summary reports `.cancelled`. Safe to call from any thread, e.g. a signal handler's queue.
    public func stopAnswer() { stopRequested.store(true, ordering: .relaxed) }

    /// Sends a user message and streams the answer: `.text` pieces, then `.finished` with the counts
    /// and times (`promptTokens` is what this turn prefilled). Cancelling the consuming task, or
    /// `stopAnswer()`, ends the answer early; the conversation stays consistent either way.
    /// The turn's text is tokenized with special tokens parsed (so a user text holding `<|im_end|>`
    /// becomes that token, as in llama.cpp's server) and BOS only at the start of the sequence;
    /// `options.addSpecial` and `options.parseSpecial` are not used.
    ///
    /// - Throws (through the stream): `ModelError.promptTooLong` when the new turn does not fit the
    ///   context that is left (the conversation is then unchanged); backend errors.
    public func send(_ userText: String, options: GenerationOptions = GenerationOptions()) -> AsyncThrowingStream<GenerationEvent, Error> {
        stopRequested.store(false, ordering: .relaxed)
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        running.withLock { running in
            let previous = running
            let task = Task.detached { [self] in
                await previous?.value
                do {
                    let summary = try self.answer(userText, options) { continuation.yield(.text($0)) }
                    continuation.yield(.finished(summary))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
            running = task
        }
        return stream
    }

    /// Feeds `pendingTokens` now, so that the cache holds the whole conversation as the template renders
    /// it. Not needed between turns (`send` does it); useful before inspecting or saving the cache.
    /// Waits for a running answer first.
    public func commitPendingTokens() async throws {
        await running.withLock { $0 }?.value
        let pending = state.withLock { $0.pendingTokens }
        guard !pending.isEmpty else { return }
        _ = try session.forward(pending, logits: .last)
        state.withLock { $0.pendingTokens = [] }
    }

    /// One turn: prefill the pending tokens and the new user turn, then generate the answer with the
    /// session's loop, keeping the answer's tokens so that an unfed last one is carried into the next turn.
    private func answer(_ userText: String, _ options: GenerationOptions, emit: (String) -> Void) throws -> GenerationSummary {
        let tokenizer = session.engine.model.tokenizer
        let user = ChatMessage.user(userText)
        let (history, pending) = state.withLock { ($0.history, $0.pendingTokens) }
        let turnText = template.continuation(after: history, adding: user, addGenerationPrompt: true)
        let prompt = pending + tokenizer.encode(turnText, addSpecial: session.tokens.isEmpty && pending.isEmpty, parseSpecial: true)
        let outcome = try session.runGeneration(
            prompt, options, extraStopStrings: template.endOfTurnToken == nil ? template.stopStrings : [],
            shouldStop: { stopRequested.load(ordering: .relaxed) },
            afterPrefill: {
                state.withLock {
                    $0.history.append(user)
                    $0.pendingTokens = []
                    $0.lastPrefillTokens = prompt.count
                }
            },
            emit: emit)
        let answerTokens = outcome.tokens, unfed = outcome.unfed, summary = outcome.summary

        let closing = tokenizer.encode(template.endOfTurn, addSpecial: false, parseSpecial: true)
        state.withLock {
            $0.history.append(.assistant(tokenizer.decode(answerTokens)))
            $0.pendingTokens = (unfed.map { [$0] } ?? []) + closing
        }
        return summary
    }
}
