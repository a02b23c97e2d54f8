/// Token counts of one request, as OpenAI reports them.
struct Usage: Encodable, Sendable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(totalTokens, forKey: .totalTokens)
    }
}

/// A whole chat completion (`object: chat.completion`).
struct ChatCompletion: Encodable, Sendable {
    struct Message: Encodable, Sendable { var role = "assistant"; var content: String }
    struct Choice: Encodable, Sendable {
        var index = 0
        var message: Message
        var finishReason: String
        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }
    }
    var id: String
    var object = "chat.completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage
}

/// One streamed piece of a chat completion (`object: chat.completion.chunk`).
struct ChatCompletionChunk: Encodable, Sendable {
    struct Delta: Encodable, Sendable { var role: String?; var content: String? }
    struct Choice: Encodable, Sendable {
        var index = 0
        var delta: Delta
        var finishReason: String?
        enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(delta, forKey: .delta)
            try c.encode(finishReason, forKey: .finishReason)   // null until the last chunk, as OpenAI sends it
        }
    }
    var id: String
    var object = "chat.completion.chunk"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?
}

/// A whole text completion, or one streamed piece of it (`object: text_completion` for both, as OpenAI).
struct TextCompletion: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        var index = 0
        var text: String
        var finishReason: String?
        enum CodingKeys: String, CodingKey { case index, text, finishReason = "finish_reason" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(text, forKey: .text)
            try c.encode(finishReason, forKey: .finishReason)
        }
    }
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?
}

/// `GET /v1/models`.
struct ModelList: Encodable, Sendable {
    struct Entry: Encodable, Sendable {
        var id: String
        var object = "model"
        var created: Int
        var ownedBy = "switchyard"
        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
    }
    var object = "list"
    var data: [Entry]
}

/// The body of every error answer.
struct ErrorBody: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        var message: String
        var type: String
        var param: String?
        var code: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(message, forKey: .message)
            try c.encode(type, forKey: .type)
            try c.encode(param, forKey: .param)
            try c.encode(code, forKey: .code)
        }
        enum CodingKeys: String, CodingKey { case message, type, param, code }
    }
    var error: Detail

    init(_ error: APIError) {
        self.error = Detail(message: error.message, type: error.type, param: error.param, code: error.code)
    }
}
