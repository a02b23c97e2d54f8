/// Workgroup counts for dispatches that may need more than `maxComputeWorkGroupCount[0]` (65,535)
/// groups: x = min(count, 65,535), y = ceil(count / x). Shaders number the groups x + y · width
/// (`Kernels/vulkan/include/linear_grid.glsl`) and skip those past the count.
enum WorkgroupGrid {
    static let limit = 65_535

    /// Groups for `count` workgroups.
    static func groups(_ count: Int) -> (Int, Int, Int) {
        let x = min(max(count, 1), limit)
        return (x, (count + x - 1) / x, 1)
    }

    /// Groups for one invocation per element, `size` invocations per workgroup.
    static func groups(elements: Int, size: Int = 256) -> (Int, Int, Int) {
        groups((elements + size - 1) / size)
    }
}
