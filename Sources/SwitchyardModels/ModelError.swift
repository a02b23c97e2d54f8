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
            return "model '\(name)' not found (looked at \(searched.joined(separator: ", "))); run scripts/fetch-models.sh or give a path to a .gguf file"
        case .unknownArchitecture(let name, let known):
            return "architecture '\(name ?? "(none)")' is not supported (supported: \(known.joined(separator: ", ")))"
        case .missingMetadata(let key):
            return "the model file lacks metadata key '\(key)'"
        case .invalidMetadata(let key, let reason):
            return "metadata '\(key)' is invalid: \(reason)"
        case .missingTensor(let name):
            return "the model file lacks tensor '\(name)'"
        case .tensorShape(let name, let expected, let found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        case .promptTooLong(let tokens, let context):
            return "the prompt is \(tokens) tokens but the context holds \(context); shorten it or raise --context"
        case .emptyPrompt:
            return "the prompt is empty and the model adds no BOS token, so there is nothing to predict from"
        case .noCalibrationBackend(let policy):
            return "policy '\(policy)' has a backend that needs calibrated activation ranges but no CPU backend to measure them on; add blas or reference to the policy"
        }
    }
}
