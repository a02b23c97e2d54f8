import ArgumentParser
import Switchyard
import SwitchyardVulkan

/// `switchyard devices`: the Vulkan devices here, or why there are none.
struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the Vulkan devices (GPUs and software renderers) the vulkan backend can run on.")

    @Flag(name: .long, help: "Measure a unit with a backend's kernels: cost per dependent dispatch, matrix-vector GB/s, matrix-product FLOP/s (the figures of a device profile).")
    var probe = false
    @Option(name: .long, help: "The device to probe (default: the first real GPU, else device 0).")
    var device: Int?
    @Option(name: .long, help: "The backend whose kernels --probe measures: vulkan (the GPU), or blas for the CPU.")
    var backend = "vulkan"
    @Option(name: [.customShort("t"), .long], help: "Threads, for a CPU backend.")
    var threads = BackendOptions.defaultThreads

    func validate() throws {
        if backend != "vulkan" && !probe { throw ValidationError("--backend only goes with --probe") }
    }

    func run() throws {
        if probe {
            let made = try BackendCatalog.registry.make(backend, options: BackendOptions(threads: threads, device: device))
            let what = (made as? VulkanBackend)?.deviceDescription.name ?? "the \(made.unit.rawValue) with \(made.name) on \(threads) thread\(threads == 1 ? "" : "s") (SIMD tier \(BackendCatalog.cpuTier))"
            print("probing \(what):")
            for line in try DeviceProbe(backend: made).run() { print("  " + line) }
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
