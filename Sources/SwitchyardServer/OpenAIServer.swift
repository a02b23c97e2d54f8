import HTTPTypes
import Hummingbird
import Logging
import SwitchyardModels

/// An OpenAI-compatible HTTP server over one loaded engine, on Hummingbird:
///
/// - `POST /v1/chat/completions`: messages through the model's chat template; `stream: true` gives
///   server-sent events in OpenAI's chunk format ending with `data: [DONE]`.
/// - `POST /v1/completions`: a raw prompt, streamed or whole.
/// - `GET /v1/models`, `GET /health`, and `GET /metrics` (Prometheus text format).
///
/// Up to `configuration.parallel` requests generate at once, each in its own session of the one
/// engine (weights prepared once, one KV cache per request); up to `queueLimit` more wait; beyond
/// that, `429`. Every answer carries the routing policy in an `X-Switchyard-Policy` header.
public struct OpenAIServer: Sendable {
    public let engine: Engine
    public let configuration: ServerConfiguration

    public init(engine: Engine, configuration: ServerConfiguration) {
        self.engine = engine
        self.configuration = configuration
    }

    /// Serves until the process gets SIGINT or SIGTERM (then finishes the requests in flight).
    /// - Parameter onListening: called once the socket is bound, with the host and the port (the real
    ///   one when `configuration.port` is 0).
    /// - Throws: when the address cannot be bound.
    public func run(logger: Logger = Logger(label: "switchyard.serve"), onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws {
        let service = CompletionService(engine: engine, configuration: configuration)
        let router = Router()
        router.add(middleware: PolicyHeaderMiddleware(policy: configuration.policyLabel))
        ServerRoutes(service: service, configuration: configuration).add(to: router)
        let host = configuration.host, port = configuration.port
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "switchyard"),
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService()
    }
}

/// Puts `X-Switchyard-Policy: <policy>` on every answer, so a client can tell which policy served it.
struct PolicyHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headerName: HTTPField.Name { HTTPField.Name("X-Switchyard-Policy")! }
    let policy: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            // The router's own answers (no such route, method not allowed), in OpenAI's error shape.
            let type = error.status == .notFound ? "not_found_error" : "invalid_request_error"
            response = JSONBody.response(APIError(status: error.status, type: type,
                                                  message: error.body ?? "\(request.method) \(request.uri.path): \(error.status.reasonPhrase)"))
        }
        response.headers[Self.headerName] = policy
        return response
    }
}
