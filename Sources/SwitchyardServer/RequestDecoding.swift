import Foundation
import NIOCore

/// Turns a request body into a request type, or into the `400` that says what was wrong with it.
enum RequestDecoding {
    /// Decodes `body` as JSON into `T`.
    /// - Throws: `APIError` (400) naming the field at fault for malformed JSON, a missing field or a
    ///   field of the wrong type.
    static func decode<T: Decodable>(_ type: T.Type, from body: ByteBuffer) throws -> T {
        let bytes = Data(body.readableBytesView)
        guard !bytes.isEmpty else { throw APIError.invalidRequest("The request body is empty; send a JSON object.") }
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch let error as DecodingError {
            throw apiError(error)
        } catch {
            throw APIError.invalidRequest("The request body is not valid JSON: \(error.localizedDescription)")
        }
    }

    /// A `DecodingError` as one sentence naming the field.
    static func apiError(_ error: DecodingError) -> APIError {
        switch error {
        case .typeMismatch(let expected, let context):
            let field = path(context.codingPath)
            return .invalidRequest("'\(field)' has the wrong type: expected \(typeName(expected)).", param: field)
        case .valueNotFound(let expected, let context):
            let field = path(context.codingPath)
            return .invalidRequest("'\(field)' is null: expected \(typeName(expected)).", param: field)
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .invalidRequest("'\(field)' is missing; it is required.", param: field)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .invalidRequest("The request body is not valid JSON.")
            }
            let field = path(context.codingPath)
            return .invalidRequest("'\(field)' is not valid: \(context.debugDescription)", param: field)
        @unknown default:
            return .invalidRequest("The request body could not be read: \(error)")
        }
    }

    /// `messages[1].content` from a coding path.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "(body)" : text
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is [Any].Type: return "a list"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }   // what a keyed container reports
            return "a value of type \(name)"
        }
    }
}
