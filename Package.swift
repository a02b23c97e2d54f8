// swift-tools-version:6.0
import PackageDescription

/// Switchyard: an on-device LLM inference runtime whose dispatch layer routes each transformer op
/// to interchangeable backends. The core (`Switchyard`) knows no backend; each backend is its own
/// target depending only on the core; the CLI registers the backends it ships.
let package = Package(
    name: "Switchyard",
    products: [
        .library(name: "Switchyard", targets: ["Switchyard"]),
        .library(name: "SwitchyardModels", targets: ["SwitchyardModels"]),
        .library(name: "SwitchyardReference", targets: ["SwitchyardReference"]),
        .library(name: "SwitchyardBLAS", targets: ["SwitchyardBLAS"]),
        .library(name: "SwitchyardVulkan", targets: ["SwitchyardVulkan"]),
        .library(name: "SwitchyardNeuralAccelerator", targets: ["SwitchyardNeuralAccelerator"]),
        .executable(name: "switchyard", targets: ["switchyard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `swift package generate-documentation` (DocC): scripts/docs.sh.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // Core: tensors, weight formats, op graph, Backend protocol, planner, executor.
        .target(
            name: "Switchyard",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Sources/Switchyard"),
        // GGUF, architectures, tokenizers, sampler, sessions, the generate API.
        .target(
            name: "SwitchyardModels",
            dependencies: ["Switchyard", .product(name: "Logging", package: "swift-log")],
            path: "Sources/SwitchyardModels"),
        // The scalar CPU backend: the numerical ground truth.
        .target(
            name: "SwitchyardReference",
            dependencies: ["Switchyard"],
            path: "Backends/Reference"),
        // OpenBLAS's CBLAS, linked as a system library (libopenblas-dev).
        .systemLibrary(
            name: "COpenBLAS",
            path: "Backends/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // SIMD kernels in C with intrinsics, chosen at run time by CPU features (AVX2+FMA baseline, AVX-512 where present).
        .target(
            name: "SwitchyardCPUKernels",
            path: "Kernels/cpu"),
        // The fast CPU backend: OpenBLAS sgemm for large products, SIMD kernels for the rest.
        .target(
            name: "SwitchyardBLAS",
            dependencies: ["Switchyard", "COpenBLAS", "SwitchyardCPUKernels"],
            path: "Backends/BLAS"),
        // Vulkan's C API (headers from libvulkan-dev); the loader is opened at run time, not linked,
        // so the tool runs on the CPU where there is no Vulkan.
        .target(
            name: "CVulkan",
            path: "Backends/CVulkan",
            linkerSettings: [.linkedLibrary("dl")]),
        // Compiles Kernels/vulkan/*.comp to SPIR-V with glslc and embeds it in the Vulkan target.
        .plugin(
            name: "SPIRVEmbedder",
            capability: .buildTool(),
            path: "Plugins/SPIRVEmbedder"),
        // The GPU backend: Vulkan compute, GLSL kernels in Kernels/vulkan.
        .target(
            name: "SwitchyardVulkan",
            dependencies: ["Switchyard", "CVulkan"],
            path: "Backends/Vulkan",
            plugins: ["SPIRVEmbedder"]),
        // The emulated fp16 neural accelerator (docs/neural-accelerator.md): bit-exact on the CPU,
        // with a modeled cost.
        .target(
            name: "SwitchyardNeuralAccelerator",
            dependencies: ["Switchyard", "SwitchyardCPUKernels"],
            path: "Backends/NeuralAccelerator"),
        // `switchyard serve`: the OpenAI-compatible HTTP server over one loaded engine (Hummingbird,
        // Prometheus metrics). Knows no backend: the CLI hands it an engine.
        .target(
            name: "SwitchyardServer",
            dependencies: [
                "Switchyard", "SwitchyardModels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/SwitchyardServer"),
        // The command-line tool; the one place that knows every backend (BackendCatalog.swift).
        .executableTarget(
            name: "switchyard",
            dependencies: [
                "Switchyard", "SwitchyardModels", "SwitchyardReference", "SwitchyardBLAS", "SwitchyardVulkan",
                "SwitchyardNeuralAccelerator", "SwitchyardServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/switchyard"),
        .testTarget(
            name: "SwitchyardTests",
            dependencies: ["Switchyard", "SwitchyardModels", "SwitchyardReference", "SwitchyardBLAS", "SwitchyardVulkan",
                           "SwitchyardNeuralAccelerator", "SwitchyardCPUKernels", "switchyard"],
            path: "Tests/SwitchyardTests",
            resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
