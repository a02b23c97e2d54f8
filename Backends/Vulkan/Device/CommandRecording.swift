import CVulkan

/// One dispatch as a kernel asked for it: what a recorded command buffer is made of, and what is
/// compared to decide whether a recording can be replayed.
struct DispatchCommand: Equatable {
    struct Binding: Equatable {
        let buffer: Int      // GPUBuffer.serial: never reused, unlike an address or a handle
        let offset: Int
        let byteCount: Int
    }
    let shader: String
    let bindings: [Binding]
    let push: [UInt32]
    let groups: [Int]
    /// How many of `bindings` (after binding 0, the pass buffer) are reads; the rest are writes.
    let reads: Int
    /// What the time of this dispatch counts towards (the op kind).
    let label: String
}

/// A segment's dispatches recorded into a command buffer of its own, with its own descriptor sets,
/// kept to be submitted again for every pass of the same shape whose dispatches are identical (the
/// same kernels, buffers, offsets, push constants and group counts: what changes from pass to pass
/// lives in the pass buffer). A global memory barrier goes before a dispatch only when it reads or
/// writes memory that an earlier dispatch since the last barrier wrote, or writes memory one read.
final class CommandRecording {
    let commands: [DispatchCommand]
    let barriers: Int
    /// Whether it was submitted before (a further submit is a replay).
    var submitted = false
    private let device: VulkanDevice
    private let commandBuffer: VkCommandBuffer
    private let descriptorPool: VkDescriptorPool
    /// Timestamps where the device has them: one before the first dispatch, then one after each
    /// dispatch when timed, else one after the last.
    private let queryPool: VkQueryPool?
    private let timed: Bool

    /// Records `commands`; `slices[i]` are the buffers of `commands[i]`'s bindings. With `timed`,
    /// a timestamp follows every dispatch (`dispatchSeconds` reads them after a submit).
    init(device: VulkanDevice, commands: [DispatchCommand], slices: [[BufferSlice]], dummy: BufferSlice, timed: Bool) throws {
        self.device = device
        self.commands = commands
        self.timed = timed && device.supportsTimestamps
        if device.supportsTimestamps {
            var info = VkQueryPoolCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO
            info.queryType = VK_QUERY_TYPE_TIMESTAMP
            info.queryCount = UInt32(self.timed ? commands.count + 1 : 2)
            var pool: VkQueryPool?
            try check(sy_vkCreateQueryPool!(device.handle, &info, nil, &pool), "vkCreateQueryPool")
            queryPool = pool
        } else {
            queryPool = nil
        }
        let count = max(commands.count, 1)
        var size = VkDescriptorPoolSize(type: VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, descriptorCount: UInt32(count * VulkanDevice.bindingCount))
        var poolInfo = VkDescriptorPoolCreateInfo()
        poolInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO
        poolInfo.maxSets = UInt32(count)
        poolInfo.poolSizeCount = 1
        var pool: VkDescriptorPool?
        try withUnsafePointer(to: &size) { size in
            poolInfo.pPoolSizes = size
            try check(sy_vkCreateDescriptorPool!(device.handle, &poolInfo, nil, &pool), "vkCreateDescriptorPool")
        }
        descriptorPool = pool!
        var allocate = VkCommandBufferAllocateInfo()
        allocate.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO
        allocate.commandPool = device.commandPool
        allocate.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY
        allocate.commandBufferCount = 1
        var buffer: VkCommandBuffer?
        do {
            try check(sy_vkAllocateCommandBuffers!(device.handle, &allocate, &buffer), "vkAllocateCommandBuffers")
        } catch {
            sy_vkDestroyDescriptorPool!(device.handle, pool, nil)
            throw error
        }
        commandBuffer = buffer!
        var barrierCount = 0
        do {
            barrierCount = try Self.record(commands, slices: slices, dummy: dummy, into: commandBuffer, device: device, pool: pool!,
                                           queries: queryPool, timed: self.timed)
        } catch {
            var b: VkCommandBuffer? = commandBuffer
            sy_vkFreeCommandBuffers!(device.handle, device.commandPool, 1, &b)
            sy_vkDestroyDescriptorPool!(device.handle, pool, nil)
            if let queryPool { sy_vkDestroyQueryPool!(device.handle, queryPool, nil) }
            throw error
        }
        barriers = barrierCount
    }

    deinit {
        var b: VkCommandBuffer? = commandBuffer
        sy_vkFreeCommandBuffers!(device.handle, device.commandPool, 1, &b)
        sy_vkDestroyDescriptorPool!(device.handle, descriptorPool, nil)
        if let queryPool { sy_vkDestroyQueryPool!(device.handle, queryPool, nil) }
    }

    /// Submits the recording and waits for the GPU to finish it.
    func submitAndWait() throws { try device.submitAndWait(commandBuffer) }

    /// GPU seconds of each dispatch in the latest submit (from the end of the one before, so a
    /// barrier's wait counts towards the dispatch after it); nil when not timed.
    func dispatchSeconds() throws -> [Double]? {
        guard timed, let ticks = try timestamps() else { return nil }
        let period = device.description.timestampPeriod * 1e-9
        return (0..<commands.count).map { Double(ticks[$0 + 1] &- ticks[$0]) * period }
    }

    /// GPU seconds from the start of the first dispatch to the end of the last in the latest
    /// submit; nil where the device has no timestamps.
    func gpuSeconds() throws -> Double? {
        guard let ticks = try timestamps() else { return nil }
        return Double(ticks.last! &- ticks[0]) * device.description.timestampPeriod * 1e-9
    }

    private func timestamps() throws -> [UInt64]? {
        guard let queryPool else { return nil }
        let count = timed ? commands.count + 1 : 2
        var ticks = [UInt64](repeating: 0, count: count)
        let flags = VK_QUERY_RESULT_64_BIT.rawValue | VK_QUERY_RESULT_WAIT_BIT.rawValue
        try ticks.withUnsafeMutableBytes {
            try check(sy_vkGetQueryPoolResults!(device.handle, queryPool, 0, UInt32(count), $0.count, $0.baseAddress, 8, flags),
                      "vkGetQueryPoolResults")
        }
        return ticks
    }

    /// Records the dispatches with the barriers they need; returns the barrier count.
    private static func record(_ commands: [DispatchCommand], slices: [[BufferSlice]], dummy: BufferSlice,
                               into commandBuffer: VkCommandBuffer, device: VulkanDevice, pool: VkDescriptorPool,
                               queries: VkQueryPool?, timed: Bool) throws -> Int {
        var begin = VkCommandBufferBeginInfo()
        begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
        try check(sy_vkBeginCommandBuffer!(commandBuffer, &begin), "vkBeginCommandBuffer")
        if let queries {
            sy_vkCmdResetQueryPool!(commandBuffer, queries, 0, UInt32(timed ? commands.count + 1 : 2))
            sy_vkCmdWriteTimestamp!(commandBuffer, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries, 0)
        }
        var written: [BufferSlice] = [], read: [BufferSlice] = []
        var barriers = 0
        func barrier(_ dstStage: VkPipelineStageFlagBits, _ dstAccess: UInt32) {
            var b = VkMemoryBarrier()
            b.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER
            b.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT.rawValue
            b.dstAccessMask = dstAccess
            sy_vkCmdPipelineBarrier!(commandBuffer, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT.rawValue, dstStage.rawValue, 0, 1, &b, 0, nil, 0, nil)
            written.removeAll(keepingCapacity: true)
            read.removeAll(keepingCapacity: true)
        }
        var boundPipeline: VkPipeline?
        var layout: VkDescriptorSetLayout? = device.setLayout
        for (index, (command, bound)) in zip(commands, slices).enumerated() {
            defer { if timed, let queries { sy_vkCmdWriteTimestamp!(commandBuffer, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries, UInt32(index + 1)) } }
            let reads = bound[1...command.reads], writes = bound[(command.reads + 1)...]
            let hazard = reads.contains { r in written.contains { $0.overlaps(r) } }
                || writes.contains { w in written.contains { $0.overlaps(w) } || read.contains { $0.overlaps(w) } }
            if hazard {
                barrier(VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT.rawValue | VK_ACCESS_SHADER_WRITE_BIT.rawValue)
                barriers += 1
            }
            written += writes
            read += reads

            var set: VkDescriptorSet?
            var allocate = VkDescriptorSetAllocateInfo()
            allocate.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
            allocate.descriptorPool = pool
            allocate.descriptorSetCount = 1
            try withUnsafePointer(to: &layout) { layout in
                allocate.pSetLayouts = layout
                try check(sy_vkAllocateDescriptorSets!(device.handle, &allocate, &set), "vkAllocateDescriptorSets")
            }
            var infos = (0..<VulkanDevice.bindingCount).map { i -> VkDescriptorBufferInfo in
                let s = i < bound.count ? bound[i] : dummy
                return VkDescriptorBufferInfo(buffer: s.buffer.handle, offset: VkDeviceSize(s.offset), range: VkDeviceSize(s.byteCount))
            }
            infos.withUnsafeMutableBufferPointer { infos in
                var descriptorWrites = (0..<VulkanDevice.bindingCount).map { i -> VkWriteDescriptorSet in
                    var w = VkWriteDescriptorSet()
                    w.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET
                    w.dstSet = set
                    w.dstBinding = UInt32(i)
                    w.descriptorCount = 1
                    w.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                    w.pBufferInfo = UnsafePointer(infos.baseAddress! + i)
                    return w
                }
                sy_vkUpdateDescriptorSets!(device.handle, UInt32(descriptorWrites.count), &descriptorWrites, 0, nil)
            }
            let pipeline = try device.pipeline(command.shader)
            if boundPipeline != pipeline {
                sy_vkCmdBindPipeline!(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline)
                boundPipeline = pipeline
            }
            sy_vkCmdBindDescriptorSets!(commandBuffer, VK_PIPELINE_BIND_POINT_COMPUTE, device.pipelineLayout, 0, 1, &set, 0, nil)
            if !command.push.isEmpty {
                command.push.withUnsafeBytes {
                    sy_vkCmdPushConstants!(commandBuffer, device.pipelineLayout, VK_SHADER_STAGE_COMPUTE_BIT.rawValue, 0, UInt32($0.count), $0.baseAddress)
                }
            }
            sy_vkCmdDispatch!(commandBuffer, UInt32(command.groups[0]), UInt32(command.groups[1]), UInt32(command.groups[2]))
        }
        if !timed, let queries { sy_vkCmdWriteTimestamp!(commandBuffer, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries, 1) }
        // The host reads what the segment wrote once the fence signals.
        barrier(VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT.rawValue)
        try check(sy_vkEndCommandBuffer!(commandBuffer), "vkEndCommandBuffer")
        return barriers
    }
}
