#include "cvulkan.h"
#include <dlfcn.h>
#include <stddef.h>

#define SY_VK_DEFINE(name) PFN_##name sy_##name = NULL;
SY_VK_GLOBAL_FUNCTIONS(SY_VK_DEFINE)
SY_VK_INSTANCE_FUNCTIONS(SY_VK_DEFINE)
#undef SY_VK_DEFINE

static PFN_vkGetInstanceProcAddr get_instance_proc_addr = NULL;

const char *sy_vulkan_open(void) {
    if (get_instance_proc_addr) return NULL;
    void *library = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libvulkan.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) return "no Vulkan loader (libvulkan.so.1) is installed";
    get_instance_proc_addr = (PFN_vkGetInstanceProcAddr)dlsym(library, "vkGetInstanceProcAddr");
    if (!get_instance_proc_addr) return "the Vulkan loader has no vkGetInstanceProcAddr";
#define SY_VK_LOAD_GLOBAL(name) sy_##name = (PFN_##name)get_instance_proc_addr(NULL, #name);
    SY_VK_GLOBAL_FUNCTIONS(SY_VK_LOAD_GLOBAL)
#undef SY_VK_LOAD_GLOBAL
    if (!sy_vkCreateInstance) return "the Vulkan loader has no vkCreateInstance";
    return NULL;
}

const char *sy_vulkan_load_instance(VkInstance instance) {
#define SY_VK_LOAD_INSTANCE(name) \
    sy_##name = (PFN_##name)get_instance_proc_addr(instance, #name); \
    if (!sy_##name) return #name;
    SY_VK_INSTANCE_FUNCTIONS(SY_VK_LOAD_INSTANCE)
#undef SY_VK_LOAD_INSTANCE
    return NULL;
}
