import ArgumentParser
import SwitchyardModels

/// `switchyard inspect`: a GGUF file's metadata and tensors.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a GGUF file's metadata and tensors with their formats.")

    @Argument(help: "A GGUF file, or smollm2 / gemma3.")
    var model: String

    func run() throws {
        let file = try GGUFFile(path: try ModelLocator.resolve(model))
        print("file: \(file.path)")
        print("GGUF version \(file.version), \(file.fileSize) bytes, alignment \(file.alignment), \(file.metadataKeys.count) metadata keys, \(file.tensors.count) tensors")
        print("\nmetadata:")
        let width = file.metadataKeys.map(\.count).max() ?? 0
        for key in file.metadataKeys {
            print("  \(key.padding(width))  \(file.metadata[key]!.summary)")
        }
        print("\ntensors:")
        let nameWidth = file.tensors.map(\.name.count).max() ?? 0
        var byFormat: [String: (count: Int, bytes: Int)] = [:]
        for t in file.tensors {
            print("  \(t.name.padding(nameWidth))  \(t.format.description.padding(5))  \(String(describing: t.shape).padding(14))  \(t.byteCount) bytes")
            byFormat[t.format.description, default: (0, 0)].count += 1
            byFormat[t.format.description, default: (0, 0)].bytes += t.byteCount
        }
        print("\nby format:")
        for (format, totals) in byFormat.sorted(by: { $0.value.bytes > $1.value.bytes }) {
            print("  \(format.padding(5))  \(totals.count) tensors, \(totals.bytes) bytes")
        }
    }
}

extension String {
    /// Pads with spaces on the right to `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
