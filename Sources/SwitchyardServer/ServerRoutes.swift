import Hummingbird

/// The server's endpoints, each turning every failure into an OpenAI-style error answer.
struct ServerRoutes: Sendable {
    let service: CompletionService
    let configuration: ServerConfiguration

    func add(to router: Router<BasicRequestContext>) {
        router.post("v1/chat/completions") { request, _ in
            await answer(endpoint: "chat_completions") {
                let arrived = ContinuousClock.now
                let body = try await readBody(request)
                let parsed = try RequestDecoding.decode(ChatCompletionRequest.self, from: body)
                return try await service.respond(to: try service.preparation.prepare(parsed), arrived: arrived)
            }
        }
        router.post("v1/completions") { request, _ in
            await answer(endpoint: "completions") {
                let arrived = ContinuousClock.now
                let body = try await readBody(request)
                let parsed = try RequestDecoding.decode(CompletionRequest.self, from: body)
                return try await service.respond(to: try service.preparation.prepare(parsed), arrived: arrived)
            }
        }
        router.get("v1/models") { _, _ in
            await answer(endpoint: "models") {
                JSONBody.response(ModelList(data: [.init(id: configuration.modelID, created: JSONBody.now)]))
            }
        }
        router.get("health") { _, _ in
            await answer(endpoint: "health") {
                let (active, waiting) = service.slots.occupancy
                return JSONBody.response(Health(slotsIdle: service.slots.parallel - active, slotsProcessing: active, queueDepth: waiting))
            }
        }
        router.get("metrics") { _, _ in
            await answer(endpoint: "metrics") {
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: service.metrics.render())))
            }
        }
    }

    /// Runs a handler, answers its `APIError` (or any other error, as a 500) in OpenAI's shape, and
    /// counts the answer in the metrics.
    private func answer(endpoint: String, _ handler: () async throws -> Response) async -> Response {
        let response: Response
        do {
            response = try await handler()
        } catch let error as APIError {
            response = JSONBody.response(error)
        } catch is CancellationError {
            response = JSONBody.response(APIError(status: .serviceUnavailable, type: "server_error", code: "cancelled",
                                                  message: "The request was cancelled before it could start (the server is stopping or the client left)."))
        } catch {
            response = JSONBody.response(APIError(status: .internalServerError, type: "server_error", message: "\(error)"))
        }
        service.metrics.requestAnswered(endpoint: endpoint, status: Int(response.status.code))
        return response
    }

    /// The request body, at most `maxBodyBytes`.
    private func readBody(_ request: Request) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(limit: configuration.maxBodyBytes)
        }
    }
}

/// `GET /health`: the server is up, and how busy it is.
struct Health: Encodable, Sendable {
    var status = "ok"
    var slotsIdle: Int
    var slotsProcessing: Int
    var queueDepth: Int
    enum CodingKeys: String, CodingKey {
        case status, slotsIdle = "slots_idle", slotsProcessing = "slots_processing", queueDepth = "queue_depth"
    }
}
