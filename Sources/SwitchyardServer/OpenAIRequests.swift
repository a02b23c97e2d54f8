/// The body of `POST /v1/chat/completions`, as OpenAI's API defines it (the fields Switchyard
/// reads; others are ignored). A field of the wrong type fails decoding (`RequestDecoding`).
struct ChatCompletionRequest: Decodable, Sendable {
    /// One message; `content` is a string or a list of `{"type": "text", "text": …}` parts.
    struct Message: Decodable, Sendable {
        var role: String
        var content: MessageContent?
    }

    var model: String
    var messages: [Message]
    var sampling: SamplingFields
    var stream: Bool?
    var streamOptions: StreamOptions?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream
        case streamOptions = "stream_options"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        messages = try c.decode([Message].self, forKey: .messages)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        sampling = try SamplingFields(from: decoder)
    }
}

/// The body of `POST /v1/completions`: a raw prompt, no chat template.
struct CompletionRequest: Decodable, Sendable {
    var model: String
    /// A string, or a list holding one string.
    var prompt: PromptText
    var sampling: SamplingFields
    var stream: Bool?
    var streamOptions: StreamOptions?
    var echo: Bool?

    enum CodingKeys: String, CodingKey {
        case model, prompt, stream, echo
        case streamOptions = "stream_options"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        prompt = try c.decode(PromptText.self, forKey: .prompt)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo)
        sampling = try SamplingFields(from: decoder)
    }
}

/// The sampling and length fields both endpoints share (OpenAI's, plus llama-server's `top_k`,
/// `min_p` and `repeat_penalty`).
struct SamplingFields: Decodable, Sendable {
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Double?
    var topP: Double?
    var topK: Int?
    var minP: Double?
    var repeatPenalty: Double?
    var presencePenalty: Double?
    var frequencyPenalty: Double?
    var seed: Int64?
    var stop: StopList?
    var n: Int?

    enum CodingKeys: String, CodingKey {
        case temperature, seed, stop, n
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p", topK = "top_k", minP = "min_p", repeatPenalty = "repeat_penalty"
        case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
    }
}

/// `stream_options`: `include_usage` adds a last chunk with the token counts.
struct StreamOptions: Decodable, Sendable {
    var includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// `stop`: one string or a list of them.
struct StopList: Decodable, Sendable {
    var strings: [String]
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) { strings = [one]; return }
        guard let many = try? c.decode([String].self) else { throw Self.expected("a string or a list of strings", decoder) }
        strings = many
    }
}

extension StopList {
    /// The error for a field that is neither of the shapes it may take.
    static func expected(_ shapes: String, _ decoder: any Decoder) -> DecodingError {
        .dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected \(shapes)"))
    }
}

/// A completion prompt: one string, or a list of strings (of which Switchyard takes exactly one).
struct PromptText: Decodable, Sendable {
    var texts: [String]
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) { texts = [one]; return }
        guard let many = try? c.decode([String].self) else { throw StopList.expected("a string or a list of strings", decoder) }
        texts = many
    }
}

/// A message's content: a string, or a list of parts of which only text parts are understood.
struct MessageContent: Decodable, Sendable {
    struct Part: Decodable, Sendable {
        var type: String
        var text: String?
    }
    var parts: [Part]
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) { parts = [Part(type: "text", text: text)]; return }
        if c.decodeNil() { parts = []; return }
        guard let list = try? c.decode([Part].self) else {
            throw StopList.expected("a string or a list of {\"type\": \"text\", \"text\": …} parts", decoder)
        }
        parts = list
    }
}
