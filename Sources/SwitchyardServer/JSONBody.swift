import Foundation
import Hummingbird

/// JSON answers and server-sent events, encoded the one way the server writes them.
enum JSONBody {
    /// `value` as compact JSON bytes.
    static func encode(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        // Every value the server encodes is a plain struct of strings and numbers: encoding cannot fail.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    /// A JSON answer with `status`.
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: encode(value)))
    }

    /// An error answer in OpenAI's shape, with the error's status.
    static func response(_ error: APIError) -> Response { response(ErrorBody(error), status: error.status) }

    /// One server-sent event carrying `value` as JSON: `data: {…}` and a blank line.
    static func event(_ value: some Encodable) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        var json = encode(value)
        buffer.writeBuffer(&json)
        buffer.writeString("\n\n")
        return buffer
    }

    /// The event that ends an OpenAI stream.
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// Seconds since 1970, for `created`.
    static var now: Int { Int(Date().timeIntervalSince1970) }
}
