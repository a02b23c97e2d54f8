import CVulkan
import Synchronization

/// A logical device with one compute queue, the memory types Switchyard allocates from, the
/// shared descriptor-set and pipeline layouts, the compiled pipelines, the command pool that
/// recordings allocate from, and the fence a submit waits on. Not thread-safe: the backend serialises its use.
/// Sendable: every use goes through `VulkanBackend`, which holds its lock for it.
final class VulkanDevice: @unchecked Sendable {
    /// Storage-buffer bindings every kernel's descriptor set has (binding 0 is the pass buffer).
    static let bindingCount = 8
    /// Bytes of push constants every pipeline layout reserves (lavapipe's limit).
    static let pushConstantBytes = 128

    let description: VulkanDeviceDescription
    let handle: VkDevice
    let queue: VkQueue
    let queueFamily: UInt32
    /// Whether the queue can time dispatches (for `bench`'s per-op profile).
    let supportsTimestamps: Bool
    /// Weights, activations, caches: device-local and host-visible where the device has it.
    let deviceMemoryType: UInt32
    /// Values the host reads back (logits): host-cached where the device has it.
    let readbackMemoryType: UInt32
    let setLayout: VkDescriptorSetLayout
    let pipelineLayout: VkPipelineLayout
    let commandPool: VkCommandPool
    let fence: VkFence
    private var pipelines: [String: VkPipeline] = [:]
    /// Bytes currently allocated on the device.
    let allocatedBytes = Atomic<Int>(0)

    init(_ description: VulkanDeviceDescription) throws {
        self.description = description
        let physical = description.handle
        var familyCount: UInt32 = 0
        sy_vkGetPhysicalDeviceQueueFamilyProperties!(physical, &familyCount, nil)
        var families = [VkQueueFamilyProperties](repeating: VkQueueFamilyProperties(), count: Int(familyCount))
        sy_vkGetPhysicalDeviceQueueFamilyProperties!(physical, &familyCount, &families)
        guard let family = families.firstIndex(where: { $0.queueFlags & VK_QUEUE_COMPUTE_BIT.rawValue != 0 }) else {
            throw VulkanError.unavailable("\(description.name) has no compute queue")
        }
        queueFamily = UInt32(family)
        supportsTimestamps = families[family].timestampValidBits > 0 && description.timestampPeriod > 0

        var priority: Float = 1
        var queueInfo = VkDeviceQueueCreateInfo()
        queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO
        queueInfo.queueFamilyIndex = queueFamily
        queueInfo.queueCount = 1
        var device: VkDevice?
        try withUnsafePointer(to: &priority) { priority in
            queueInfo.pQueuePriorities = priority
            try withUnsafePointer(to: &queueInfo) { queueInfo in
                var info = VkDeviceCreateInfo()
                info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO
                info.queueCreateInfoCount = 1
                info.pQueueCreateInfos = queueInfo
                try check(sy_vkCreateDevice!(physical, &info, nil, &device), "vkCreateDevice")
            }
        }
        let handle = device!
        self.handle = handle
        var queue: VkQueue?
        sy_vkGetDeviceQueue!(handle, queueFamily, 0, &queue)
        self.queue = queue!

        var memory = VkPhysicalDeviceMemoryProperties()
        sy_vkGetPhysicalDeviceMemoryProperties!(physical, &memory)
        let types = withUnsafeBytes(of: memory.memoryTypes) { Array($0.bindMemory(to: VkMemoryType.self).prefix(Int(memory.memoryTypeCount))) }
        func find(_ wanted: [VkMemoryPropertyFlagBits]) -> UInt32? {
            let mask = wanted.reduce(0) { $0 | $1.rawValue }
            return types.firstIndex { $0.propertyFlags & mask == mask }.map(UInt32.init)
        }
        let visible: [VkMemoryPropertyFlagBits] = [VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, VK_MEMORY_PROPERTY_HOST_COHERENT_BIT]
        guard let plain = find(visible) else { throw VulkanError.unavailable("\(description.name) has no host-visible coherent memory") }
        deviceMemoryType = find(visible + [VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT]) ?? plain
        readbackMemoryType = find(visible + [VK_MEMORY_PROPERTY_HOST_CACHED_BIT]) ?? deviceMemoryType

        var bindings = (0..<Self.bindingCount).map { i -> VkDescriptorSetLayoutBinding in
            var b = VkDescriptorSetLayoutBinding()
            b.binding = UInt32(i)
            b.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
            b.descriptorCount = 1
            b.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT.rawValue
            return b
        }
        var setLayout: VkDescriptorSetLayout?
        var layoutInfo = VkDescriptorSetLayoutCreateInfo()
        layoutInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO
        layoutInfo.bindingCount = UInt32(bindings.count)
        try bindings.withUnsafeMutableBufferPointer { b in
            layoutInfo.pBindings = UnsafePointer(b.baseAddress)
            try check(sy_vkCreateDescriptorSetLayout!(handle, &layoutInfo, nil, &setLayout), "vkCreateDescriptorSetLayout")
        }
        self.setLayout = setLayout!
        var range = VkPushConstantRange(stageFlags: VK_SHADER_STAGE_COMPUTE_BIT.rawValue, offset: 0, size: UInt32(Self.pushConstantBytes))
        var pipelineLayoutInfo = VkPipelineLayoutCreateInfo()
        pipelineLayoutInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO
        pipelineLayoutInfo.setLayoutCount = 1
        pipelineLayoutInfo.pushConstantRangeCount = 1
        var pipelineLayout: VkPipelineLayout?
        try withUnsafePointer(to: &setLayout) { setLayout in
            try withUnsafePointer(to: &range) { range in
                pipelineLayoutInfo.pSetLayouts = setLayout
                pipelineLayoutInfo.pPushConstantRanges = range
                try check(sy_vkCreatePipelineLayout!(handle, &pipelineLayoutInfo, nil, &pipelineLayout), "vkCreatePipelineLayout")
            }
        }
        self.pipelineLayout = pipelineLayout!

        var poolInfo = VkCommandPoolCreateInfo()
        poolInfo.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO
        poolInfo.queueFamilyIndex = queueFamily
        var pool: VkCommandPool?
        try check(sy_vkCreateCommandPool!(handle, &poolInfo, nil, &pool), "vkCreateCommandPool")
        commandPool = pool!
        var fenceInfo = VkFenceCreateInfo()
        fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO
        var fence: VkFence?
        try check(sy_vkCreateFence!(handle, &fenceInfo, nil, &fence), "vkCreateFence")
        self.fence = fence!
    }

    deinit {
        _ = sy_vkDeviceWaitIdle!(handle)
        for p in pipelines.values { sy_vkDestroyPipeline!(handle, p, nil) }
        sy_vkDestroyFence!(handle, fence, nil)
        sy_vkDestroyCommandPool!(handle, commandPool, nil)
        sy_vkDestroyPipelineLayout!(handle, pipelineLayout, nil)
        sy_vkDestroyDescriptorSetLayout!(handle, setLayout, nil)
        // Buffers hold a reference to the device, so none is left when this runs.
        sy_vkDestroyDevice!(handle, nil)
    }

    /// A buffer of `byteCount` bytes in device memory (or readback memory).
    func makeBuffer(_ byteCount: Int, readback: Bool = false, what: @autoclosure () -> String) throws -> GPUBuffer {
        try GPUBuffer(device: self, byteCount: byteCount, memoryType: readback ? readbackMemoryType : deviceMemoryType, what: what())
    }

    /// The compute pipeline of kernel `name`, created on first use from the embedded SPIR-V.
    func pipeline(_ name: String) throws -> VkPipeline {
        if let p = pipelines[name] { return p }
        guard let code = ShaderLibrary.spirv(name) else { throw VulkanError.missingShader(name) }
        var module: VkShaderModule?
        var moduleInfo = VkShaderModuleCreateInfo()
        moduleInfo.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO
        moduleInfo.codeSize = code.count * 4
        try code.withUnsafeBufferPointer { words in
            moduleInfo.pCode = words.baseAddress
            try check(sy_vkCreateShaderModule!(handle, &moduleInfo, nil, &module), "vkCreateShaderModule(\(name))")
        }
        defer { sy_vkDestroyShaderModule!(handle, module, nil) }
        var pipeline: VkPipeline?
        try "main".withCString { entry in
            var info = VkComputePipelineCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
            info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
            info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT
            info.stage.module = module
            info.stage.pName = entry
            info.layout = pipelineLayout
            try check(sy_vkCreateComputePipelines!(handle, nil, 1, &info, nil, &pipeline), "vkCreateComputePipelines(\(name))")
        }
        pipelines[name] = pipeline!
        return pipeline!
    }

    /// Submits `commandBuffer` and waits for it to finish.
    func submitAndWait(_ commandBuffer: VkCommandBuffer) throws {
        var buffer: VkCommandBuffer? = commandBuffer
        var info = VkSubmitInfo()
        info.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO
        info.commandBufferCount = 1
        try withUnsafePointer(to: &buffer) { buffer in
            info.pCommandBuffers = buffer
            try check(sy_vkQueueSubmit!(queue, 1, &info, self.fence), "vkQueueSubmit")
        }
        var fence: VkFence? = self.fence
        // A decode step takes a millisecond or two: poll for up to 5 ms before asking the driver to
        // wake this thread (a sleeping wait adds tens of µs of wake-up to every token). Not on a
        // software renderer, whose work runs on the very cores a poll would take.
        let deadline = ContinuousClock.now + .milliseconds(description.isSoftwareRenderer ? 0 : 5)
        var status = sy_vkGetFenceStatus!(handle, self.fence)
        while status == VK_NOT_READY && ContinuousClock.now < deadline { status = sy_vkGetFenceStatus!(handle, self.fence) }
        if status == VK_NOT_READY { status = sy_vkWaitForFences!(handle, 1, &fence, VkBool32(VK_TRUE), UInt64.max) }
        try check(status, "waiting for the GPU")
        try check(sy_vkResetFences!(handle, 1, &fence), "vkResetFences")
    }
}
