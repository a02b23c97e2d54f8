// swift-tools-version:6.0
import PackageDescription

/// Switchyard's fuzz targets: one libFuzzer executable per input surface, built against the main
/// package by path with `Fuzz/fuzz.sh build` (`--sanitize=fuzzer --sanitize=address`, no flags in
/// any manifest). See docs/fuzzing.md.
let package = Package(
    name: "SwitchyardFuzz",
    dependencies: [.package(name: "Switchyard", path: "..")],
    targets: [
        // What every target shares: files from fuzz bytes, the tiny seed models, the seed writer hook.
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "SwitchyardModels", package: "Switchyard")]),
        // (a) The GGUF reader: header, metadata, tensor table, bounds.
        .executableTarget(name: "FuzzGGUF", dependencies: ["FuzzSupport"]),
        // (b) Model loading from a parsed file up to one forward pass on the reference backend.
        .executableTarget(
            name: "FuzzModel",
            dependencies: ["FuzzSupport", .product(name: "SwitchyardReference", package: "Switchyard")]),
        // (c) Both tokenizers (the real models' vocabularies): encode and decode of arbitrary bytes.
        .executableTarget(name: "FuzzTokenizers", dependencies: ["FuzzSupport"]),
        // (d) User text: chat templates, stop strings, routing policies, the CLI's JSON reader and writer.
        .executableTarget(name: "FuzzUserText", dependencies: ["FuzzSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
