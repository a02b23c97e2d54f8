import CVulkan

/// What went wrong talking to Vulkan, as one sentence.
public enum VulkanError: Error, Sendable, CustomStringConvertible {
    /// No loader, no instance, or no device: the GPU backend cannot run here.
    case unavailable(String)
    /// `--device N` names no device.
    case noSuchDevice(index: Int, count: Int)
    /// A Vulkan call failed.
    case call(String, result: Int32)
    /// The device could not hold an allocation.
    case outOfDeviceMemory(bytes: Int, what: String, device: String)
    /// A kernel name with no compiled shader (a build problem).
    case missingShader(String)
    /// The backend cannot run this (a format, a size).
    case unsupported(String)

    public var description: String {
        switch self {
        case .unavailable(let why): return "Vulkan is not available: \(why)"
        case .noSuchDevice(let index, let count):
            return "no Vulkan device \(index): \(count) device\(count == 1 ? "" : "s") found (see `switchyard devices`)"
        case .call(let function, let result): return "\(function) failed with \(VulkanError.name(of: result))"
        case .outOfDeviceMemory(let bytes, let what, let device):
            return "the GPU (\(device)) is out of memory allocating \(bytes / 1_048_576) MiB for \(what)"
        case .missingShader(let name): return "no compiled shader named \(name) (the build did not embed it)"
        case .unsupported(let what): return "the Vulkan backend cannot run this: \(what)"
        }
    }

    static func name(of result: Int32) -> String {
        switch result {
        case -1: return "VK_ERROR_OUT_OF_HOST_MEMORY"
        case -2: return "VK_ERROR_OUT_OF_DEVICE_MEMORY"
        case -3: return "VK_ERROR_INITIALIZATION_FAILED"
        case -4: return "VK_ERROR_DEVICE_LOST"
        case -5: return "VK_ERROR_MEMORY_MAP_FAILED"
        case -6: return "VK_ERROR_LAYER_NOT_PRESENT"
        case -7: return "VK_ERROR_EXTENSION_NOT_PRESENT"
        case -8: return "VK_ERROR_FEATURE_NOT_PRESENT"
        case -9: return "VK_ERROR_INCOMPATIBLE_DRIVER"
        case -10: return "VK_ERROR_TOO_MANY_OBJECTS"
        case 2: return "VK_TIMEOUT"
        default: return "VkResult \(result)"
        }
    }
}

/// Throws `VulkanError.call` unless `result` is VK_SUCCESS.
@inline(__always)
func check(_ result: VkResult, _ function: @autoclosure () -> String) throws {
    guard result == VK_SUCCESS else { throw VulkanError.call(function(), result: result.rawValue) }
}
