import CVulkan
import Synchronization

/// One VkBuffer with its own memory, mapped for the host for its whole life (every memory type
/// Switchyard uses is host-visible and coherent: lavapipe's only type, and the full-BAR
/// device-local type of current discrete GPUs). Freed when the last reference goes.
/// Sendable: the handles are immutable; its memory is written only under the backend's lock.
final class GPUBuffer: @unchecked Sendable {
    let device: VulkanDevice
    let handle: VkBuffer
    let memory: VkDeviceMemory
    let byteCount: Int
    /// Host address of byte 0.
    let contents: UnsafeMutableRawPointer
    /// Unique for the process's life (a handle or an address can be reused after a free), so a
    /// recording can tell that a pass binds the very buffers it was recorded with.
    let serial: Int
    private static let serials = Atomic<Int>(0)

    init(device: VulkanDevice, byteCount: Int, memoryType: UInt32, what: @autoclosure () -> String) throws {
        self.device = device
        self.byteCount = byteCount
        serial = Self.serials.add(1, ordering: .relaxed).newValue
        var info = VkBufferCreateInfo()
        info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
        info.size = VkDeviceSize(max(byteCount, 4))
        info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT.rawValue | VK_BUFFER_USAGE_TRANSFER_SRC_BIT.rawValue
            | VK_BUFFER_USAGE_TRANSFER_DST_BIT.rawValue
        info.sharingMode = VK_SHARING_MODE_EXCLUSIVE
        var buffer: VkBuffer?
        try check(sy_vkCreateBuffer!(device.handle, &info, nil, &buffer), "vkCreateBuffer")
        var requirements = VkMemoryRequirements()
        sy_vkGetBufferMemoryRequirements!(device.handle, buffer, &requirements)
        var allocation = VkMemoryAllocateInfo()
        allocation.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
        allocation.allocationSize = requirements.size
        allocation.memoryTypeIndex = memoryType
        var memory: VkDeviceMemory?
        let result = sy_vkAllocateMemory!(device.handle, &allocation, nil, &memory)
        guard result == VK_SUCCESS, let memory else {
            sy_vkDestroyBuffer!(device.handle, buffer, nil)
            if result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY {
                throw VulkanError.outOfDeviceMemory(bytes: byteCount, what: what(), device: device.description.name)
            }
            throw VulkanError.call("vkAllocateMemory", result: result.rawValue)
        }
        do {
            try check(sy_vkBindBufferMemory!(device.handle, buffer, memory, 0), "vkBindBufferMemory")
            var mapped: UnsafeMutableRawPointer?
            try check(sy_vkMapMemory!(device.handle, memory, 0, VkDeviceSize(VK_WHOLE_SIZE), 0, &mapped), "vkMapMemory")
            contents = mapped!
        } catch {
            sy_vkFreeMemory!(device.handle, memory, nil)
            sy_vkDestroyBuffer!(device.handle, buffer, nil)
            throw error
        }
        self.handle = buffer!
        self.memory = memory
        device.allocatedBytes.add(byteCount, ordering: .relaxed)
    }

    deinit {
        sy_vkDestroyBuffer!(device.handle, handle, nil)
        sy_vkFreeMemory!(device.handle, memory, nil)
        device.allocatedBytes.subtract(byteCount, ordering: .relaxed)
    }

    /// The whole buffer as a binding.
    var whole: BufferSlice { BufferSlice(buffer: self, offset: 0, byteCount: byteCount) }
}

/// A range of one buffer, bound to one binding of a dispatch.
/// Sendable: an immutable range of a `GPUBuffer`.
struct BufferSlice: @unchecked Sendable {
    let buffer: GPUBuffer
    let offset: Int
    let byteCount: Int

    /// Host address of the slice's first byte.
    var contents: UnsafeMutableRawPointer { buffer.contents + offset }

    func overlaps(_ other: BufferSlice) -> Bool {
        buffer === other.buffer && offset < other.offset + other.byteCount && other.offset < offset + byteCount
    }
}
