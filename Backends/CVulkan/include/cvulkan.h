// The Vulkan API without linking the loader: every entry point Switchyard uses is a function
// pointer filled at run time from `libvulkan.so.1` (dlopen), so the program starts and runs on the
// CPU on a machine without a Vulkan loader, and says why the GPU is missing.
#ifndef SWITCHYARD_CVULKAN_H
#define SWITCHYARD_CVULKAN_H

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

// Loaded before an instance exists.
#define SY_VK_GLOBAL_FUNCTIONS(X) \
    X(vkCreateInstance) X(vkEnumerateInstanceVersion) X(vkEnumerateInstanceExtensionProperties)

// Loaded through vkGetInstanceProcAddr once an instance exists (device functions included).
#define SY_VK_INSTANCE_FUNCTIONS(X) \
    X(vkDestroyInstance) X(vkEnumeratePhysicalDevices) X(vkGetPhysicalDeviceProperties) \
    X(vkGetPhysicalDeviceProperties2) X(vkGetPhysicalDeviceMemoryProperties) \
    X(vkGetPhysicalDeviceQueueFamilyProperties) X(vkGetPhysicalDeviceFeatures) \
    X(vkEnumerateDeviceExtensionProperties) X(vkCreateDevice) X(vkDestroyDevice) X(vkGetDeviceQueue) \
    X(vkCreateBuffer) X(vkDestroyBuffer) X(vkGetBufferMemoryRequirements) X(vkAllocateMemory) \
    X(vkFreeMemory) X(vkBindBufferMemory) X(vkMapMemory) X(vkUnmapMemory) \
    X(vkInvalidateMappedMemoryRanges) X(vkFlushMappedMemoryRanges) \
    X(vkCreateShaderModule) X(vkDestroyShaderModule) X(vkCreateDescriptorSetLayout) \
    X(vkDestroyDescriptorSetLayout) X(vkCreatePipelineLayout) X(vkDestroyPipelineLayout) \
    X(vkCreateComputePipelines) X(vkDestroyPipeline) X(vkCreateDescriptorPool) \
    X(vkDestroyDescriptorPool) X(vkResetDescriptorPool) X(vkAllocateDescriptorSets) \
    X(vkUpdateDescriptorSets) X(vkCreateCommandPool) X(vkDestroyCommandPool) X(vkResetCommandPool) \
    X(vkAllocateCommandBuffers) X(vkFreeCommandBuffers) X(vkBeginCommandBuffer) X(vkEndCommandBuffer) X(vkCmdBindPipeline) \
    X(vkCmdBindDescriptorSets) X(vkCmdPushConstants) X(vkCmdDispatch) X(vkCmdPipelineBarrier) \
    X(vkCmdFillBuffer) X(vkCmdCopyBuffer) X(vkQueueSubmit) X(vkQueueWaitIdle) X(vkCreateFence) \
    X(vkDestroyFence) X(vkWaitForFences) X(vkGetFenceStatus) X(vkResetFences) X(vkDeviceWaitIdle) \
    X(vkCreateQueryPool) X(vkDestroyQueryPool) X(vkCmdResetQueryPool) X(vkCmdWriteTimestamp) \
    X(vkGetQueryPoolResults)

// Written once, by the two loaders below, which Swift calls only under VulkanInstance's lock and
// before any instance or device exists; read-only afterwards, so any thread may read them.
#define SY_VK_DECLARE(name) extern PFN_##name sy_##name __attribute__((swift_attr("nonisolated(unsafe)")));
SY_VK_GLOBAL_FUNCTIONS(SY_VK_DECLARE)
SY_VK_INSTANCE_FUNCTIONS(SY_VK_DECLARE)
#undef SY_VK_DECLARE

/// Opens the Vulkan loader (`libvulkan.so.1`) and loads the global entry points. Returns NULL on
/// success, else a sentence saying what is missing. Safe to call more than once.
const char *sy_vulkan_open(void);

/// Loads every instance-level and device-level entry point through `instance`. Returns NULL on
/// success, else the name of the first missing function.
const char *sy_vulkan_load_instance(VkInstance instance);

#endif
