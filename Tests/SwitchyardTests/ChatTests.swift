import Foundation
import XCTest
import Switchyard
import SwitchyardModels
import SwitchyardReference

/// Chat templates, the chat session that keeps a conversation in the KV cache, and `switchyard chat`.
///
/// The expected renderings were produced by llama.cpp (llama-cpp-python 0.3.36): its built-in
/// formatters through `llama_chat_apply_template` ("chatml", "gemma", and SmolLM2's own template
/// string, which llama.cpp maps to its built-in ChatML), and SmolLM2's Jinja template from the GGUF
/// rendered with jinja2 as llama-cpp-python's `create_chat_completion` does.
final class ChatTests: XCTestCase {
    static let smolLMSystem = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

    /// A conversation with a system message and a user message with whitespace around it.
    static let withSystem: [ChatMessage] = [
        .system("You are terse."), .user("Hi!"), .assistant("Hello."), .user("  What is 2+2? \n"),
    ]
    static let withoutSystem: [ChatMessage] = [.user("Hi!"), .assistant("Hello."), .user("What is 2+2?")]

    // MARK: Templates

    func testSmolLM2TemplateIsChatMLWithItsDefaultSystemPrompt() throws {
        let model = try Model(file: TestModels.open(TestModels.smollm2Path))
        XCTAssertEqual(ChatTemplate.detect(for: model), .chatML(defaultSystemPrompt: Self.smolLMSystem))
    }

    func testChatMLRenderingMatchesLlamaCpp() {
        let smol = ChatTemplate.chatML(defaultSystemPrompt: Self.smolLMSystem)
        // llama_chat_apply_template("chatml") and the SmolLM2 Jinja template agree when a system message is given.
        let withSystem = "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
            + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\n  What is 2+2? \n<|im_end|>\n"
        for template in [smol, .chatML()] {
            XCTAssertEqual(template.render(Self.withSystem, addGenerationPrompt: false), withSystem)
            XCTAssertEqual(template.render(Self.withSystem, addGenerationPrompt: true), withSystem + "<|im_start|>assistant\n")
        }
        // Without one, SmolLM2's Jinja template inserts its default; llama.cpp's built-in ChatML does not.
        let turns = "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
        let smolDefault = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        XCTAssertEqual(smol.render(Self.withoutSystem, addGenerationPrompt: true), smolDefault + turns + "<|im_start|>assistant\n")
        XCTAssertEqual(smol.render(Self.withoutSystem, addGenerationPrompt: false), smolDefault + turns)
        XCTAssertEqual(ChatTemplate.chatML().render(Self.withoutSystem, addGenerationPrompt: true), turns + "<|im_start|>assistant\n")

        XCTAssertEqual(smol.renderTurn(.user("Hi!"), isFirst: true), smolDefault + "<|im_start|>user\nHi!<|im_end|>\n")
        XCTAssertEqual(smol.renderTurn(.user("Hi!"), isFirst: false), "<|im_start|>user\nHi!<|im_end|>\n")
        XCTAssertEqual(smol.renderTurn(.system("S"), isFirst: true), "<|im_start|>system\nS<|im_end|>\n")
        XCTAssertEqual(smol.endOfTurn, "<|im_end|>\n")
        XCTAssertEqual(smol.stopStrings, ["<|im_end|>"])
    }

    func testGemmaRenderingMatchesLlamaCpp() throws {
        let model = try Model(file: TestModels.open(TestModels.gemma3Path))
        XCTAssertNil(model.file.metadata[ChatTemplate.metadataKey], "the Gemma 3 270M GGUF carries no chat template")
        XCTAssertEqual(ChatTemplate.detect(for: model), .gemma)
        let gemma = ChatTemplate.gemma
        // llama_chat_apply_template("gemma"): system text trimmed in front of the first user turn, contents trimmed.
        let withSystem = "<start_of_turn>user\nYou are terse.\n\nHi!<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"
            + "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
        XCTAssertEqual(gemma.render(Self.withSystem, addGenerationPrompt: false), withSystem)
        XCTAssertEqual(gemma.render(Self.withSystem, addGenerationPrompt: true), withSystem + "<start_of_turn>model\n")
        let withoutSystem = "<start_of_turn>user\nHi!<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"
            + "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
        XCTAssertEqual(gemma.render(Self.withoutSystem, addGenerationPrompt: false), withoutSystem)
        XCTAssertEqual(gemma.render(Self.withoutSystem, addGenerationPrompt: true), withoutSystem + "<start_of_turn>model\n")
        XCTAssertEqual(gemma.endOfTurn, "<end_of_turn>\n")
        XCTAssertEqual(gemma.stopStrings, ["<end_of_turn>"])
        // BOS comes from the tokenizer, once, at the start of the sequence.
        let tokens = model.tokenizer.encode(gemma.render(Self.withoutSystem, addGenerationPrompt: true), addSpecial: true, parseSpecial: true)
        XCTAssertEqual(tokens.first, model.tokenizer.bosToken)
        XCTAssertEqual(tokens.filter { $0 == model.tokenizer.specialToken("<start_of_turn>") }.count, 4)
    }

    func testContinuationIsOnlyTheNewTurn() {
        let smol = ChatTemplate.chatML(defaultSystemPrompt: Self.smolLMSystem)
        XCTAssertEqual(smol.continuation(after: [], adding: .user("Hi!"), addGenerationPrompt: true),
                       "<|im_start|>system\n\(Self.smolLMSystem)<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(smol.continuation(after: [.user("Hi!"), .assistant("Hello.")], adding: .user("Bye"), addGenerationPrompt: true),
                       "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(ChatTemplate.gemma.continuation(after: [.system("Be brief.")], adding: .user("Hi!"), addGenerationPrompt: true),
                       "<start_of_turn>user\nBe brief.\n\nHi!<end_of_turn>\n<start_of_turn>model\n")
        XCTAssertEqual(ChatTemplate.gemma.continuation(after: [.system("S"), .user("Hi!"), .assistant("Hello.")], adding: .user("Bye"),
                                                       addGenerationPrompt: true),
                       "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n")
        // Every family: rendering message by message gives the whole rendering.
        for template in [smol, .chatML(), .gemma, .plain] {
            for conversation in [Self.withSystem, Self.withoutSystem] {
                var text = ""
                for i in conversation.indices {
                    text += template.continuation(after: Array(conversation[..<i]), adding: conversation[i], addGenerationPrompt: false)
                }
                XCTAssertEqual(text, template.render(conversation, addGenerationPrompt: false), "\(template.family)")
            }
        }
    }

    func testDetectionFallsBackToArchitectureThenVocabulary() {
        let none: (String) -> Bool = { _ in false }
        let gemmaVocabulary: (String) -> Bool = { $0 == "<start_of_turn>" || $0 == "<end_of_turn>" }
        let chatMLVocabulary: (String) -> Bool = { $0 == "<|im_start|>" || $0 == "<|im_end|>" }
        XCTAssertEqual(ChatTemplate.detect(jinja: "{{ '<start_of_turn>' + role }}", architecture: "llama", hasSpecialToken: none), .gemma)
        XCTAssertEqual(ChatTemplate.detect(jinja: "{{ '<|im_start|>' + message['role'] }}", architecture: "gemma3", hasSpecialToken: none),
                       .chatML())
        XCTAssertEqual(ChatTemplate.detect(jinja: nil, architecture: "gemma3", hasSpecialToken: gemmaVocabulary), .gemma)
        XCTAssertEqual(ChatTemplate.detect(jinja: nil, architecture: "llama", hasSpecialToken: chatMLVocabulary), .chatML())
        XCTAssertEqual(ChatTemplate.detect(jinja: "{{ message['content'] }}", architecture: "llama", hasSpecialToken: none), .plain)
        XCTAssertEqual(ChatTemplate.plain.render([.system("S"), .user("Hi"), .assistant("Yo")], addGenerationPrompt: true),
                       "S\n\nUser: Hi\nAssistant: Yo\nAssistant: ")
    }

    // MARK: Chat sessions on real models

    /// Sends `text` and collects the answer's text and summary.
    func send(_ chat: ChatSession, _ text: String, maxTokens: Int) async throws -> (String, GenerationSummary) {
        var answer = ""
        var summary: GenerationSummary?
        for try await event in chat.send(text, options: GenerationOptions(maxTokens: maxTokens, sampling: .greedy)) {
            switch event {
            case .text(let piece): answer += piece
            case .finished(let s): summary = s
            }
        }
        return (answer, try XCTUnwrap(summary))
    }

    /// Two turns on the reference backend: the second prefills only its own tokens (plus the carried end
    /// of the first answer), and the cache then holds exactly the template's rendering of the conversation.
    func checkTwoTurns(_ path: String, template expected: ChatTemplate, maxTokens: Int) async throws {
        let model = try Model(file: TestModels.open(path))
        let engine = try Engine(model: model, backends: [ReferenceBackend()], policy: RoutingPolicy(["reference"]), contextLength: 256)
        let chat = ChatSession(engine: engine)
        XCTAssertEqual(chat.template, expected)
        let tokenizer = model.tokenizer
        let encode = { (text: String, atStart: Bool) in tokenizer.encode(text, addSpecial: atStart, parseSpecial: true) }
        let endOfTurn = encode(expected.endOfTurn, false)
        let first = "What is the capital of France? Answer in one short sentence."
        let second = "And of Italy?"

        let (answer1, summary1) = try await send(chat, first, maxTokens: maxTokens)
        let turn1 = encode(expected.render([.user(first)], addGenerationPrompt: true), true)
        XCTAssertEqual(chat.lastPrefillTokens, turn1.count)
        XCTAssertEqual(summary1.promptTokens, turn1.count)
        XCTAssertEqual(Array(chat.session.tokens.prefix(turn1.count)), turn1)
        XCTAssertGreaterThan(summary1.generatedTokens, 0)
        let carried = chat.pendingTokens
        XCTAssertEqual(Array(carried.suffix(endOfTurn.count)), endOfTurn, "the end of the first turn waits for the next prefill")
        let cachedBefore = chat.session.tokens.count

        let (answer2, summary2) = try await send(chat, second, maxTokens: maxTokens)
        let turn2 = encode(expected.continuation(after: [.user(first), .assistant(answer1)], adding: .user(second), addGenerationPrompt: true), false)
        XCTAssertEqual(chat.lastPrefillTokens, carried.count + turn2.count, "the second turn prefills only the new tokens")
        XCTAssertEqual(Array(chat.session.tokens[cachedBefore..<cachedBefore + carried.count + turn2.count]), carried + turn2)
        XCTAssertLessThan(summary2.promptTokens, chat.session.tokens.count - summary2.generatedTokens)
        XCTAssertEqual(chat.history, [.user(first), .assistant(answer1), .user(second), .assistant(answer2)])

        try await chat.commitPendingTokens()
        XCTAssertEqual(chat.pendingTokens, [])
        let whole = expected.render(chat.history, addGenerationPrompt: false)
        XCTAssertEqual(tokenizer.decode(chat.session.tokens, renderSpecial: true), (tokenizer.addsBOS ? "<bos>" : "") + whole)
        XCTAssertEqual(chat.session.tokens, encode(whole, true), "the cache holds exactly the template's text of the conversation")
        print("\(model.name): answers \(answer1.debugDescription) / \(answer2.debugDescription); prefill \(summary1.promptTokens) then \(summary2.promptTokens) tokens")
    }

    func testChatSessionKeepsSmolLM2ConversationInTheCache() async throws {
        try await checkTwoTurns(TestModels.smollm2Path, template: .chatML(defaultSystemPrompt: Self.smolLMSystem), maxTokens: 8)
    }

    func testChatSessionKeepsGemma3ConversationInTheCache() async throws {
        try await checkTwoTurns(TestModels.gemma3Path, template: .gemma, maxTokens: 4)
    }

    func testChatTurnThatOverflowsTheContextThrowsPromptTooLong() async throws {
        let model = try Model(file: TestModels.open(TestModels.smollm2Path))
        let engine = try Engine(model: model, backends: [ReferenceBackend()], policy: RoutingPolicy(["reference"]), contextLength: 40)
        let chat = ChatSession(engine: engine, system: "Be brief.")
        do {
            _ = try await send(chat, String(repeating: "Tell me about the sea. ", count: 10), maxTokens: 2)
            XCTFail("expected promptTooLong")
        } catch let error as ModelError {
            guard case .promptTooLong(_, let context) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(context, 40)
        }
        XCTAssertEqual(chat.history, [.system("Be brief.")], "a turn that does not fit leaves the conversation unchanged")
        XCTAssertEqual(chat.session.tokens, [])
    }

    // MARK: switchyard chat

    /// Runs the tool with `input` on standard input.
    func runChat(_ arguments: [String], input: String) throws -> CLITests.Result {
        let process = Process()
        process.executableURL = CLITests.tool
        process.arguments = ["chat"] + arguments
        let stdin = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = err
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLITests.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                               stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The prefill counts of the stats lines ("turn N: prefill P tokens, ...").
    func prefillCounts(_ stderr: String) -> [Int] {
        stderr.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("turn "), let range = line.range(of: ": prefill ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
    }

    func checkChatCommand(_ model: String, path: String, maxTokens: Int) throws {
        _ = try TestModels.open(path)
        let r = try runChat(["-m", model, "--backend", "reference", "-n", "\(maxTokens)", "--temp", "0", "--context", "256"],
                            input: "Write a short poem about the sea, please, in two lines.\nThanks!\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        let prefills = prefillCounts(r.stderr)
        XCTAssertEqual(prefills.count, 2, r.stderr)
        if prefills.count == 2 { XCTAssertLessThan(prefills[1], prefills[0], "the second turn prefills only its own tokens: \(r.stderr)") }
        XCTAssertTrue(r.stderr.contains("tok/s"), r.stderr)
        XCTAssertFalse(r.stdout.contains("> "), "no prompt when standard input is not a terminal")
        XCTAssertGreaterThanOrEqual(r.stdout.filter { $0 == "\n" }.count, 2, r.stdout)
        XCTAssertFalse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, r.stdout)
        print("switchyard chat -m \(model):\n\(r.stdout)\(r.stderr)")
    }

    func testChatCommandAnswersEachLineOfSmolLM2() throws {
        try checkChatCommand("smollm2", path: TestModels.smollm2Path, maxTokens: 8)
    }

    func testChatCommandAnswersEachLineOfGemma3() throws {
        try checkChatCommand("gemma3", path: TestModels.gemma3Path, maxTokens: 4)
    }
}
