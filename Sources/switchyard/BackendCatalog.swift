import Switchyard
import SwitchyardBLAS
import SwitchyardNeuralAccelerator
import SwitchyardReference
import SwitchyardVulkan

/// Every backend this tool ships: the one place that knows them. A new backend is one line here.
enum BackendCatalog {
    static let registry = BackendRegistry([
        ReferenceBackend.registration,
        BLASBackend.registration,
        BLASBackend.int16Registration,
        VulkanBackend.registration,
        AcceleratorBackend.registration,
    ])

    /// The SIMD tier the CPU kernels picked on this machine.
    static var cpuTier: String { BLASBackend.cpuTier }
}
