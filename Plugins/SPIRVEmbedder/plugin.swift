import Foundation
import PackagePlugin

/// Compiles the GLSL compute shaders in `Kernels/vulkan` to SPIR-V with `glslc` at build time and
/// embeds them in the target as one generated Swift file, so a fresh clone builds with no manual
/// step and the binary needs no resource files at run time.
@main
struct SPIRVEmbedder: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let shaders = context.package.directoryURL.appending(path: "Kernels/vulkan")
        let script = shaders.appending(path: "compile-shaders.sh")
        let output = context.pluginWorkDirectoryURL.appending(path: "CompiledShaders.swift")
        var inputs = [script]
        for folder in [shaders, shaders.appending(path: "include")] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            inputs += names.filter { $0.hasSuffix(".comp") || $0.hasSuffix(".glsl") }.sorted().map { folder.appending(path: $0) }
        }
        return [.buildCommand(
            displayName: "Compiling \(inputs.count - 1) Vulkan shader files to SPIR-V",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [script.path, shaders.path, output.path],
            inputFiles: inputs,
            outputFiles: [output])]
    }
}
