import HTTPTypes

/// An error a request gets back, in OpenAI's shape:
/// `{"error": {"message": …, "type": …, "param": …, "code": …}}` with an HTTP status.
///
/// Every way a request can fail ends as one of these; the server answers it and goes on serving.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status of the answer.
    public let status: HTTPResponse.Status
    /// OpenAI's error class: `invalid_request_error`, `not_found_error`, `rate_limit_error`, `server_error`.
    public let type: String
    /// A short machine-readable code (`context_length_exceeded`, `model_not_found`, …), if any.
    public let code: String?
    /// The request field at fault, if one is (`max_tokens`, `messages[1].content`).
    public let param: String?
    /// One sentence that says what was wrong.
    public let message: String

    public init(status: HTTPResponse.Status, type: String, code: String? = nil, param: String? = nil, message: String) {
        self.status = status; self.type = type; self.code = code; self.param = param; self.message = message
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    /// 400: the request is not valid (bad JSON, a field of the wrong type or out of range).
    static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, type: "invalid_request_error", code: code, param: param, message: message)
    }

    /// 404: the request names a model this server does not serve.
    static func modelNotFound(_ name: String, served: String) -> APIError {
        APIError(status: .notFound, type: "not_found_error", code: "model_not_found", param: "model",
                 message: "The model '\(name)' does not exist; this server serves '\(served)'.")
    }

    /// 400: the prompt leaves no room in the context for a generated token.
    static func contextExceeded(promptTokens: Int, context: Int) -> APIError {
        .invalidRequest("The prompt is \(promptTokens) tokens but the context holds \(context) (and needs room for at least one generated token); shorten it or restart the server with a larger --context.",
                        param: "messages", code: "context_length_exceeded")
    }

    /// 429: every slot is generating and the waiting queue is full.
    static func queueFull(parallel: Int, queue: Int) -> APIError {
        APIError(status: .tooManyRequests, type: "rate_limit_error", code: "queue_full",
                 message: "The server is busy: \(parallel) requests are generating and \(queue) are waiting, the most it queues; try again later.")
    }

    /// 413: the request body is larger than the server reads.
    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(status: .contentTooLarge, type: "invalid_request_error", code: "request_too_large",
                 message: "The request body is larger than \(limit) bytes.")
    }

    /// 500: generation failed on the server (a backend error).
    static func generationFailed(_ error: any Error) -> APIError {
        APIError(status: .internalServerError, type: "server_error", code: "generation_failed", message: "Generation failed: \(error)")
    }
}
