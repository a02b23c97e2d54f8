import Foundation
import SwitchyardVulkan

/// The Vulkan backend the suite checks: this machine's default device (lavapipe in CI, where
/// scripts/setup.sh installs Debian's mesa-vulkan-drivers). nil where Vulkan cannot start; the suite
/// then fails (`VulkanEndToEndTests.testVulkanIsAvailable`) unless SWITCHYARD_SKIP_VULKAN=1 says a
/// machine without Vulkan is expected.
enum VulkanUnderTest {
    static let backend: VulkanBackend? = try? VulkanBackend()

    static var skipped: Bool { ProcessInfo.processInfo.environment["SWITCHYARD_SKIP_VULKAN"] == "1" }

    /// The backend as a list, for `ConformanceTests.backendsUnderTest`.
    static var list: [VulkanBackend] { backend.map { [$0] } ?? [] }
}
