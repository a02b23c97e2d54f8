import ArgumentParser
import Dispatch
import Switchyard
import SwitchyardModels
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `switchyard chat`: a conversation read line by line from standard input, kept in the KV cache so
/// that each turn prefills only its own tokens.
struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a model: each line of standard input is a user message, answered as it streams.",
        discussion: """
            The conversation stays in the KV cache: each turn prefills only the new message, laid out in \
            the model's chat template (ChatML, Gemma). A stats line per answer goes to standard error. \
            Ctrl-C stops the answer being written; Ctrl-C at the prompt, or end of input, ends the chat.
            """)

    @OptionGroup var model: ModelOption
    @Option(name: .long, help: "A system message that opens the conversation.")
    var system: String?
    @Option(name: [.customShort("n"), .long], help: "Most tokens per answer.")
    var tokens = 512
    @OptionGroup var sampling: SamplingFlags
    @OptionGroup var engineFlags: EngineFlags

    func validate() throws {
        if tokens < 1 { throw ValidationError("-n must be at least 1") }
    }

    func run() async throws {
        let loaded = try model.load()
        let engine = try engineFlags.makeEngine(loaded)
        let policy = engine.policy
        let chat = ChatSession(engine: engine, system: system)
        Log.main.debug("model \(loaded.name) with policy \(policy), chat template \(chat.template.family.rawValue)")
        let options = GenerationOptions(
            maxTokens: tokens,
            sampling: sampling.options())
        let interactive = isatty(0) != 0
        let interrupts = InterruptWatch { chat.stopAnswer() }

        var turn = 0
        while true {
            if interactive { Console.write("> ") }
            guard let line = readLine(strippingNewline: true) else { break }
            if line.allSatisfy(\.isWhitespace) { continue }
            turn += 1
            interrupts.answerStarted()
            defer { interrupts.answerEnded() }
            for try await event in chat.send(line, options: options) {
                switch event {
                case .text(let piece):
                    Console.write(piece)
                case .finished(let s):
                    Console.write("\n")
                    Console.error("""
                        turn \(turn): prefill \(s.promptTokens) tokens, \(format(s.prefillTokensPerSecond)) tok/s; \
                        answer \(s.generatedTokens) tokens, \(format(s.decodeTokensPerSecond)) tok/s (\(s.stopReason.rawValue)); \
                        context \(chat.session.tokens.count)/\(engine.contextLength)\n
                        """)
                }
            }
        }
        if interactive { Console.write("\n") }
        withExtendedLifetime(interrupts) {}
    }
}

/// Ctrl-C (SIGINT) for the chat: while an answer streams, the first one stops that answer and the chat
/// goes back to the prompt; at the prompt, or a second time before the answer has stopped, it ends
/// the program with status 0.
/// Sendable: its one mutable field is an `Atomic`; the dispatch source is set up in init and only read after.
final class InterruptWatch: @unchecked Sendable {
    private enum Phase: Int { case atPrompt = 0, answering = 1, stopping = 2 }
    private let phase = Atomic<Int>(Phase.atPrompt.rawValue)
    private let source: DispatchSourceSignal

    /// `stopAnswer` runs on a private queue when Ctrl-C arrives while an answer streams.
    init(stopAnswer: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)   // delivered through the dispatch source instead
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "switchyard.chat.interrupt"))
        source.setEventHandler { [unowned self] in
            // `data`: how many Ctrl-Cs arrived since the last event (quick ones are merged into one event).
            let presses = source.data
            let (stopped, _) = phase.compareExchange(expected: Phase.answering.rawValue, desired: Phase.stopping.rawValue,
                                                     ordering: .relaxed)
            if stopped && presses < 2 {
                stopAnswer()
            } else {
                Console.write("\n")
                exit(0)
            }
        }
        source.resume()
    }

    func answerStarted() { phase.store(Phase.answering.rawValue, ordering: .relaxed) }
    func answerEnded() { phase.store(Phase.atPrompt.rawValue, ordering: .relaxed) }
}
