import SwitchyardModels

/// A request checked and ready to generate: its prompt as tokens and how to sample.
struct GenerationRequest: Sendable {
    /// Which endpoint it came from: it decides the response's shape.
    enum Kind: Sendable { case chat, completion }

    var kind: Kind
    var promptTokens: [Int32]
    var options: GenerationOptions
    var stream: Bool
    /// Add a last streamed chunk with the token counts (`stream_options.include_usage`).
    var includeUsage: Bool
    /// Text put in front of a completion's answer (`echo`).
    var echoText: String
}

/// Checks decoded requests against the model and the server, and builds `GenerationRequest`s.
struct RequestPreparation: Sendable {
    let engine: Engine
    let template: ChatTemplate
    let modelID: String

    init(engine: Engine, modelID: String) {
        self.engine = engine
        self.modelID = modelID
        template = ChatTemplate.detect(for: engine.model)
    }

    /// A chat request: messages laid out by the model's chat template.
    /// - Throws: `APIError` for an unknown model, a bad message, bad sampling fields or a prompt over the context.
    func prepare(_ request: ChatCompletionRequest) throws -> GenerationRequest {
        try checkModel(request.model)
        guard !request.messages.isEmpty else { throw APIError.invalidRequest("'messages' is empty; send at least one message.", param: "messages") }
        var messages: [ChatMessage] = []
        for (index, message) in request.messages.enumerated() {
            let role: ChatRole
            switch message.role {
            case "system", "developer": role = .system
            case "user": role = .user
            case "assistant": role = .assistant
            default:
                throw APIError.invalidRequest("'messages[\(index)].role' is '\(message.role)'; Switchyard takes system, developer, user and assistant.",
                                              param: "messages[\(index)].role")
            }
            var text = ""
            for part in message.content?.parts ?? [] {
                guard part.type == "text", let partText = part.text else {
                    throw APIError.invalidRequest("'messages[\(index)].content' has a part of type '\(part.type)'; only text parts are supported.",
                                                  param: "messages[\(index)].content")
                }
                text += partText
            }
            messages.append(ChatMessage(role, text))
        }
        let prompt = template.render(messages, addGenerationPrompt: true)
        let tokens = engine.model.tokenizer.encode(prompt, addSpecial: true, parseSpecial: true)
        var options = try generationOptions(request.sampling, promptTokens: tokens.count)
        if template.endOfTurnToken == nil { options.stopStrings += template.stopStrings }
        return GenerationRequest(kind: .chat, promptTokens: tokens, options: options, stream: request.stream ?? false,
                                 includeUsage: request.streamOptions?.includeUsage ?? false, echoText: "")
    }

    /// A completion request: the prompt tokenized as it is (special-token texts parsed, BOS added
    /// when the model asks for it).
    func prepare(_ request: CompletionRequest) throws -> GenerationRequest {
        try checkModel(request.model)
        guard request.prompt.texts.count == 1 else {
            throw APIError.invalidRequest("'prompt' holds \(request.prompt.texts.count) prompts; Switchyard takes exactly one per request.", param: "prompt")
        }
        let text = request.prompt.texts[0]
        let tokens = engine.model.tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        guard !tokens.isEmpty else { throw APIError.invalidRequest("'prompt' is empty and the model adds no BOS token: there is nothing to continue.", param: "prompt") }
        let options = try generationOptions(request.sampling, promptTokens: tokens.count)
        return GenerationRequest(kind: .completion, promptTokens: tokens, options: options, stream: request.stream ?? false,
                                 includeUsage: request.streamOptions?.includeUsage ?? false,
                                 echoText: request.echo == true ? text : "")
    }

    func checkModel(_ name: String) throws {
        guard name == modelID else { throw APIError.modelNotFound(name, served: modelID) }
    }

    /// The generation options the fields ask for, with llama-server's defaults for those left out
    /// (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, a random seed, as many tokens as the
    /// context has room for).
    func generationOptions(_ fields: SamplingFields, promptTokens: Int) throws -> GenerationOptions {
        let context = engine.contextLength
        guard promptTokens < context else { throw APIError.contextExceeded(promptTokens: promptTokens, context: context) }
        if let n = fields.n, n != 1 {
            throw APIError.invalidRequest("'n' is \(n); Switchyard generates one choice per request (n = 1).", param: "n")
        }
        let maxTokens = fields.maxCompletionTokens ?? fields.maxTokens ?? (context - promptTokens)
        guard maxTokens >= 1 else {
            throw APIError.invalidRequest("'max_tokens' is \(maxTokens); it must be at least 1.", param: fields.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens")
        }
        var sampling = SamplingOptions()
        if let t = fields.temperature {
            guard t >= 0 && t <= 2 else { throw APIError.invalidRequest("'temperature' is \(t); it must be between 0 and 2.", param: "temperature") }
            sampling.temperature = Float(t)
        }
        if let p = fields.topP {
            guard p > 0 && p <= 1 else { throw APIError.invalidRequest("'top_p' is \(p); it must be in (0, 1].", param: "top_p") }
            sampling.topP = Float(p)
        }
        if let k = fields.topK {
            guard k >= 0 else { throw APIError.invalidRequest("'top_k' is \(k); it must not be negative (0: all tokens).", param: "top_k") }
            sampling.topK = k
        }
        if let m = fields.minP {
            guard m >= 0 && m < 1 else { throw APIError.invalidRequest("'min_p' is \(m); it must be in [0, 1).", param: "min_p") }
            sampling.minP = Float(m)
        }
        if let r = fields.repeatPenalty {
            guard r > 0 else { throw APIError.invalidRequest("'repeat_penalty' is \(r); it must be positive.", param: "repeat_penalty") }
            sampling.repetitionPenalty = Float(r)
        }
        for (name, value) in [("presence_penalty", fields.presencePenalty), ("frequency_penalty", fields.frequencyPenalty)] {
            if let value, value != 0 {
                throw APIError.invalidRequest("'\(name)' is \(value); Switchyard does not apply it (use repeat_penalty), so only 0 is accepted.", param: name)
            }
        }
        sampling.seed = fields.seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0...UInt64.max)
        let stops = fields.stop?.strings ?? []
        guard stops.count <= 4 else { throw APIError.invalidRequest("'stop' has \(stops.count) strings; at most 4 are allowed.", param: "stop") }
        return GenerationOptions(maxTokens: maxTokens, sampling: sampling, stopStrings: stops.filter { !$0.isEmpty })
    }
}
