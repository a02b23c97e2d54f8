/// Who speaks a chat message.
public enum ChatRole: String, Sendable, Equatable, CaseIterable {
    case system, user, assistant
}

/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    public var role: ChatRole
    public var content: String

    public init(_ role: ChatRole, _ content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(.system, content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(.user, content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(.assistant, content) }
}

/// How a model family lays out a conversation as text: the turn markers it was trained on.
///
/// The rendered text holds special-token texts (`<|im_start|>`, `<start_of_turn>`) and is meant to be
/// tokenized with `parseSpecial: true`; it never holds BOS, which the tokenizer adds at the start of a
/// sequence (`addSpecial: true`) when the model asks for it.
///
/// Every family's rendering has the *prefix property*: rendering a conversation and then one more
/// message gives the same text as rendering the longer conversation, so a chat can append only the
/// new text of each turn to what its KV cache already holds (`continuation(after:adding:addGenerationPrompt:)`).
public struct ChatTemplate: Sendable, Equatable {
    /// The turn layouts Switchyard knows.
    public enum Family: String, Sendable, Equatable {
        /// `<|im_start|>role\ncontent<|im_end|>\n` (SmolLM2, Qwen and many others), as llama.cpp's
        /// built-in `chatml` formatter.
        case chatML
        /// `<start_of_turn>user\ncontent<end_of_turn>\n`, `model` for the assistant, no system role:
        /// system text goes in front of the next user message followed by a blank line; contents are
        /// trimmed. As llama.cpp's built-in `gemma` formatter and Gemma 3's Hugging Face template.
        case gemma
        /// `User: …\n` / `Assistant: …\n` for models with no known template.
        case plain
    }

    public let family: Family
    /// ChatML only: a system message the template puts in front of a conversation that does not start
    /// with one (SmolLM2's template inserts "You are a helpful AI assistant named SmolLM, trained by
    /// Hugging Face"). Nil: no system turn unless the conversation has one.
    public let defaultSystemPrompt: String?

    public init(family: Family, defaultSystemPrompt: String? = nil) {
        self.family = family
        self.defaultSystemPrompt = family == .chatML ? defaultSystemPrompt : nil
    }

    /// ChatML, optionally with a default system prompt.
    public static func chatML(defaultSystemPrompt: String? = nil) -> ChatTemplate {
        ChatTemplate(family: .chatML, defaultSystemPrompt: defaultSystemPrompt)
    }
    public static let gemma = ChatTemplate(family: .gemma)
    public static let plain = ChatTemplate(family: .plain)

    // MARK: Choosing a template

    /// The GGUF key that holds a model's Jinja chat template.
    public static let metadataKey = "tokenizer.chat_template"

    /// The template for `model`, chosen from its file: by the contents of `tokenizer.chat_template`
    /// (`<start_of_turn>`: Gemma; `<|im_start|>`: ChatML, with the default system prompt the template
    /// inserts, if any); without one, by architecture (`gemma*`: Gemma), then by vocabulary (a
    /// `<|im_start|>` special token: ChatML); otherwise `plain`.
    public static func detect(for model: Model) -> ChatTemplate {
        detect(jinja: model.file.metadata[metadataKey]?.string, architecture: model.file.architecture,
               hasSpecialToken: { model.tokenizer.specialToken($0) != nil })
    }

    /// `detect(for:)` from the pieces it looks at: the Jinja template text, the architecture name and
    /// whether the vocabulary has a special token with a given text.
    public static func detect(jinja: String?, architecture: String?, hasSpecialToken: (String) -> Bool) -> ChatTemplate {
        if let jinja {
            if jinja.contains("<start_of_turn>") { return .gemma }
            if jinja.contains("<|im_start|>") { return .chatML(defaultSystemPrompt: defaultSystemPrompt(inChatML: jinja)) }
        }
        if let architecture, architecture.hasPrefix("gemma"), hasSpecialToken("<start_of_turn>") { return .gemma }
        if hasSpecialToken("<|im_start|>") && hasSpecialToken("<|im_end|>") { return .chatML() }
        return .plain
    }

    /// The literal system text a ChatML Jinja template inserts when the conversation has no system
    /// message: the text between `<|im_start|>system` + newline and `<|im_end|>` when it is a plain
    /// string literal (no quotes or Jinja expressions in it), as in SmolLM2's and Qwen's templates.
    static func defaultSystemPrompt(inChatML jinja: String) -> String? {
        for opening in ["<|im_start|>system\n", "<|im_start|>system\\n"] {
            guard let start = jinja.range(of: opening) else { continue }
            let rest = jinja[start.upperBound...]
            guard let end = String(rest).range(of: "<|im_end|>") else { continue }
            let text = String(String(rest)[..<end.lowerBound])
            if text.isEmpty || text.contains(where: { "'\"{}".contains($0) }) { continue }
            return text
        }
        return nil
    }

    // MARK: Turn texts

    /// The text that opens the assistant's answer (what `addGenerationPrompt` appends).
    public var generationPrompt: String {
        switch family {
        case .chatML: return "<|im_start|>assistant\n"
        case .gemma: return "<start_of_turn>model\n"
        case .plain: return "Assistant: "
        }
    }

    /// The text of the special token that ends a turn (`<|im_end|>`, `<end_of_turn>`); nil for `plain`.
    public var endOfTurnToken: String? {
        switch family {
        case .chatML: return "<|im_end|>"
        case .gemma: return "<end_of_turn>"
        case .plain: return nil
        }
    }

    /// The text that closes an answer after its content: the end-of-turn token and the newline the
    /// template puts after it (`"<|im_end|>\n"`, `"<end_of_turn>\n"`, `"\n"`).
    public var endOfTurn: String { (endOfTurnToken ?? "") + "\n" }

    /// Texts that end an answer when they appear in the generated text. For ChatML and Gemma these are
    /// the end-of-turn token texts, which the tokenizer already treats as end of generation; for
    /// `plain`, the start of a new user line.
    public var stopStrings: [String] {
        if let endOfTurnToken { return [endOfTurnToken] }
        return ["\nUser:"]
    }

    /// The text one message makes on its own: its opening, its content and the end of its turn.
    /// With `isFirst` and a `defaultSystemPrompt`, a ChatML message that is not a system message gets
    /// the default system turn in front. Gemma has no system turn: a system message renders as "" here
    /// and `render` / `continuation` put its text in front of the next user message instead.
    public func renderTurn(_ message: ChatMessage, isFirst: Bool) -> String {
        switch family {
        case .chatML:
            var text = ""
            if isFirst, message.role != .system, let system = defaultSystemPrompt {
                text += renderTurn(.system(system), isFirst: false)
            }
            return text + "<|im_start|>" + message.role.rawValue + "\n" + message.content + "<|im_end|>\n"
        case .gemma:
            switch message.role {
            case .system: return ""
            case .user: return "<start_of_turn>user\n" + Self.trimmed(message.content) + "<end_of_turn>\n"
            case .assistant: return "<start_of_turn>model\n" + Self.trimmed(message.content) + "<end_of_turn>\n"
            }
        case .plain:
            switch message.role {
            case .system: return message.content + "\n\n"
            case .user: return "User: " + message.content + "\n"
            case .assistant: return "Assistant: " + message.content + "\n"
            }
        }
    }

    /// The whole conversation as text, followed by `generationPrompt` when `addGenerationPrompt`.
    /// Matches the model's own template (see `Family`); BOS is left to the tokenizer.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        var text = ""
        for (index, message) in normalized(messages).enumerated() {
            text += renderTurn(message, isFirst: index == 0)
        }
        return addGenerationPrompt ? text + generationPrompt : text
    }

    /// The text `message` adds after `history` has been rendered (without generation prompt): the
    /// suffix by which `render(history + [message], …)` goes beyond `render(history, …)`. A chat appends
    /// just this to what its cache holds. With `addGenerationPrompt`, the assistant's opening follows.
    public func continuation(after history: [ChatMessage], adding message: ChatMessage, addGenerationPrompt: Bool) -> String {
        let before = render(history, addGenerationPrompt: false)
        let after = render(history + [message], addGenerationPrompt: addGenerationPrompt)
        precondition(after.hasPrefix(before), "chat template \(family) lost its prefix property")
        return String(after.dropFirst(before.count))
    }

    /// The messages as the family's turns: for Gemma, system texts (trimmed) moved in front of the next
    /// user message with a blank line between, as llama.cpp's `gemma` formatter does.
    func normalized(_ messages: [ChatMessage]) -> [ChatMessage] {
        guard family == .gemma else { return messages }
        var turns: [ChatMessage] = []
        var system = ""
        for message in messages {
            switch message.role {
            case .system:
                system += Self.trimmed(message.content)
            case .user where !system.isEmpty:
                turns.append(.user(system + "\n\n" + Self.trimmed(message.content)))
                system = ""
            default:
                turns.append(message)
            }
        }
        return turns
    }

    /// `text` without leading and trailing whitespace (space, tab, newline, carriage return), as
    /// llama.cpp's `trim` and Jinja's `trim` filter.
    static func trimmed(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[first...last])
    }
}
