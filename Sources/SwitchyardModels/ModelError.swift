/// Why a model could not be loaded or run.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case modelNotFound(String, searched: [String])
    case unknownArchitecture(String?, known: [String])
    case missingMetadata(String)
    case invalidMetadata(key: String, reason: String)
    case missingTensor(String)
    case tensorShape(name: String, expected: [Int], found: [Int])
    case promptTooLong(tokens: Int, context: Int)
    case emptyPrompt
    case noCalibrationBackend(policy: String)

    public var description: String {
        switch self {
        case .modelNotFound(let name, let searched):
            return "model '\(MessageText.printable(name))' not found (looked at \(searched.map { MessageText.printable($0, limit: 400) }.joined(separator: ", "))); run scripts/fetch-models.sh or give a path to a .gguf file"
        case .unknownArchitecture(let name, let known):
            return "architecture '\(name.map { MessageText.printable($0) } ?? "(none)")' is not supported (supported: \(known.joined(separator: ", ")))"
        case .missingMetadata(let key):
            return "the model file lacks metadata key '\(MessageText.printable(key))'"
        case .invalidMetadata(let key, let reason):
            return "metadata '\(MessageText.printable(key))' is invalid: \(MessageText.printable(reason, limit: 240))"
        case .missingTensor(let name):
            return "the model file lacks tensor '\(MessageText.printable(name))'"
        case .tensorShape(let name, let expected, let found):
            return "tensor '\(MessageText.printable(name))' has shape \(found), expected \(expected)"
        case .promptTooLong(let tokens, let context):
            return "the prompt is \(tokens) tokens but the context holds \(context); shorten it or raise --context"
        case .emptyPrompt:
            return "the prompt is empty and the model adds no BOS token, so there is nothing to predict from"
        case .noCalibrationBackend(let policy):
            return "policy '\(policy)' has a backend that needs calibrated activation ranges but no CPU backend to measure them on; add blas or reference to the policy"
        }
    }
}
