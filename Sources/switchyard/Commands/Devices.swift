import ArgumentParser
import Switchyard
import SwitchyardVulkan

/// `switchyard devices`: the Vulkan devices here, or why there are none.
struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the Vulkan devices (GPUs and software renderers) the vulkan backend can run on.")

    @Flag(name: .long, help: "Measure the chosen device with the backend's kernels: cost per dependent dispatch, matrix-vector GB/s, matrix-product TFLOP/s.")
    var probe = false
    @Option(name: .long, help: "The device to probe (default: the first real GPU, else device 0).")
    var device: Int?

    func run() throws {
        if probe {
            let backend = try VulkanBackend(deviceIndex: device)
            print("probing \(backend.deviceDescription.name):")
            for line in try DeviceProbe(backend: backend).run() { print("  " + line) }
            return
        }
        switch VulkanDevices.list() {
        case .failure(let error):
            print("No GPU backend here: \(error). Everything runs on the CPU (blas).")
        case .success(let devices):
            for d in devices {
                let heaps = d.heaps.map { "\(($0.bytes + 524_288) / 1_048_576) MiB\($0.deviceLocal ? " device-local" : "")" }
                print("\(d.index): \(d.name) — \(d.type)\(d.isSoftwareRenderer ? " (software renderer: never picked by auto)" : ""), Vulkan \(d.apiVersion)")
                print("   memory heaps: \(heaps.joined(separator: ", "))")
                print("   subgroup size \(d.subgroupSize), max storage-buffer range \(d.maxStorageBufferRange / 1_048_576) MiB")
            }
            if let gpu = devices.first(where: { !$0.isSoftwareRenderer }) {
                print("auto and --backend vulkan use device \(gpu.index) (\(gpu.name)); --device N picks another.")
            } else {
                print("No real GPU: auto runs on the CPU (blas); --backend vulkan runs on device 0, a software renderer.")
            }
        }
    }
}
