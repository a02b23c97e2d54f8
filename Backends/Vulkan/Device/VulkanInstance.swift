import CVulkan
import Synchronization

/// One Vulkan device as `switchyard devices` lists it.
public struct VulkanDeviceDescription: Sendable {
    public struct Heap: Sendable {
        public let bytes: Int
        public let deviceLocal: Bool
    }
    /// Index for `--device N`.
    public let index: Int
    public let name: String
    /// "discrete GPU", "integrated GPU", "virtual GPU", "CPU" or "other".
    public let type: String
    /// A CPU implementation of Vulkan (lavapipe, SwiftShader): correct, but not a GPU.
    public var isSoftwareRenderer: Bool { type == "CPU" }
    public let apiVersion: String
    public let heaps: [Heap]
    public let subgroupSize: Int
    /// Largest range one storage-buffer binding may cover, in bytes.
    public let maxStorageBufferRange: Int
    /// Alignment of a storage-buffer binding's offset, in bytes.
    public let storageBufferOffsetAlignment: Int
    /// Nanoseconds per timestamp tick.
    public let timestampPeriod: Double
    // A physical device handle is an immutable identifier, valid for the process's life.
    nonisolated(unsafe) let handle: VkPhysicalDevice
}

/// The process's Vulkan instance: the loader opened at run time (no link-time dependency), one
/// instance, and its physical devices. Created on first use; a machine without a loader or a device
/// gets `VulkanError.unavailable` with the reason.
/// Sendable: immutable after init, which runs once under `shared`'s lock.
final class VulkanInstance: @unchecked Sendable {
    let handle: VkInstance
    let devices: [VulkanDeviceDescription]

    private static let shared = Mutex<Result<VulkanInstance, VulkanError>?>(nil)

    /// The instance, created once per process.
    static func get() throws(VulkanError) -> VulkanInstance {
        let result = shared.withLock { cached -> Result<VulkanInstance, VulkanError> in
            if let cached { return cached }
            let made: Result<VulkanInstance, VulkanError>
            do { made = .success(try VulkanInstance()) } catch let e as VulkanError { made = .failure(e) } catch {
                made = .failure(.unavailable("\(error)"))
            }
            cached = made
            return made
        }
        return try result.get()
    }

    private init() throws {
        if let why = sy_vulkan_open() { throw VulkanError.unavailable(String(cString: why)) }
        var app = VkApplicationInfo()
        app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO
        app.apiVersion = (1 << 22) | (2 << 12)   // Vulkan 1.2
        var info = VkInstanceCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO
        var instance: VkInstance?
        let result = withUnsafePointer(to: &app) { app in
            info.pApplicationInfo = app
            return sy_vkCreateInstance!(&info, nil, &instance)
        }
        guard result == VK_SUCCESS, let instance else {
            throw VulkanError.unavailable("vkCreateInstance failed with \(VulkanError.name(of: result.rawValue)) (no Vulkan driver installed?)")
        }
        if let missing = sy_vulkan_load_instance(instance) {
            throw VulkanError.unavailable("the Vulkan loader lacks \(String(cString: missing))")
        }
        handle = instance
        var count: UInt32 = 0
        try check(sy_vkEnumeratePhysicalDevices!(instance, &count, nil), "vkEnumeratePhysicalDevices")
        var physical = [VkPhysicalDevice?](repeating: nil, count: Int(count))
        try check(sy_vkEnumeratePhysicalDevices!(instance, &count, &physical), "vkEnumeratePhysicalDevices")
        devices = physical.prefix(Int(count)).enumerated().map { Self.describe($1!, index: $0) }
        if devices.isEmpty { throw VulkanError.unavailable("the Vulkan loader found no device (no driver for this machine's GPU, and no software renderer such as Debian's mesa-vulkan-drivers)") }
    }

    private static func describe(_ device: VkPhysicalDevice, index: Int) -> VulkanDeviceDescription {
        var subgroup = VkPhysicalDeviceSubgroupProperties()
        subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES
        var properties = VkPhysicalDeviceProperties2()
        properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2
        withUnsafeMutablePointer(to: &subgroup) { subgroup in
            properties.pNext = UnsafeMutableRawPointer(subgroup)
            sy_vkGetPhysicalDeviceProperties2!(device, &properties)
        }
        let p = properties.properties
        let name = withUnsafeBytes(of: p.deviceName) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        let type: String
        switch p.deviceType {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: type = "discrete GPU"
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: type = "integrated GPU"
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: type = "virtual GPU"
        case VK_PHYSICAL_DEVICE_TYPE_CPU: type = "CPU"
        default: type = "other"
        }
        var memory = VkPhysicalDeviceMemoryProperties()
        sy_vkGetPhysicalDeviceMemoryProperties!(device, &memory)
        let heaps = withUnsafeBytes(of: memory.memoryHeaps) { raw in
            raw.bindMemory(to: VkMemoryHeap.self).prefix(Int(memory.memoryHeapCount)).map {
                VulkanDeviceDescription.Heap(bytes: Int($0.size), deviceLocal: $0.flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT.rawValue != 0)
            }
        }
        let v = p.apiVersion
        return VulkanDeviceDescription(
            index: index, name: name, type: type, apiVersion: "\(v >> 22).\((v >> 12) & 0x3FF).\(v & 0xFFF)",
            heaps: heaps, subgroupSize: Int(subgroup.subgroupSize),
            maxStorageBufferRange: Int(p.limits.maxStorageBufferRange),
            storageBufferOffsetAlignment: Int(p.limits.minStorageBufferOffsetAlignment),
            timestampPeriod: Double(p.limits.timestampPeriod), handle: device)
    }
}

/// The Vulkan devices of this machine, for `switchyard devices`.
public enum VulkanDevices {
    /// Every device the loader finds, or why there are none.
    public static func list() -> Result<[VulkanDeviceDescription], VulkanError> {
        Result { () throws(VulkanError) in try VulkanInstance.get().devices }
    }
}
