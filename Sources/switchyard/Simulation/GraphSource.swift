import Switchyard
import SwitchyardBLAS
import SwitchyardModels

/// Where `simulate` gets a model's graphs: a real model file, or a config of hyperparameters
/// (a header without weights), and the activation magnitudes the accelerator's range guard reads.
struct GraphSource {
    let name: String
    let architecture: any Architecture
    /// A real model (for calibration), when the source is one.
    let model: Model?
    let calibrateWith: String?
    let file: GGUFFile?

    init(model path: String?, config: String?, calibrateWith: String?) throws {
        if let path {
            let loaded = try Model(path)
            model = loaded
            name = loaded.name
            architecture = loaded.architecture
            file = nil
            self.calibrateWith = nil
        } else {
            let config = try ModelConfig(path: config!)
            let scratch = "/tmp/switchyard-config-\(getpid()).gguf"
            defer { unlink(scratch) }
            (architecture, file) = try config.architecture(scratch: scratch)
            name = config.name
            model = nil
            self.calibrateWith = calibrateWith ?? (file!.architecture == "gemma3" ? "gemma3" : "smollm2")
        }
    }

    /// Each activation's calibrated largest magnitude by value name: measured on the model itself,
    /// or for a config, the real model's largest over its layers for each op name ("ffn_residual").
    func magnitudes() throws -> [String: Float] {
        if let model {
            return try Engine(model: model, backends: [BLASBackend(threads: 2)], policy: RoutingPolicy(["blas"])).calibratedMagnitudes()
        }
        let real = try Model(calibrateWith!)
        let measured = try Engine(model: real, backends: [BLASBackend(threads: 2)], policy: RoutingPolicy(["blas"])).calibratedMagnitudes()
        var byOp: [String: Float] = [:]
        for (name, value) in measured { byOp[Self.opName(name)] = max(byOp[Self.opName(name)] ?? 0, value) }
        var names = Set<String>()
        let graph = architecture.graph(tokens: 1, contextLength: 8, maxBatch: 1, logits: .last)
        for v in graph.values where v.kind == .activation { names.insert(v.name) }
        var result: [String: Float] = [:]
        for name in names { if let m = byOp[Self.opName(name)] { result[name] = m } }
        return result
    }

    /// "blk.7.ffn_residual" → "ffn_residual".
    static func opName(_ name: String) -> String {
        guard name.hasPrefix("blk.") else { return name }
        return String(name.split(separator: ".", maxSplits: 2).last ?? Substring(name))
    }

    var calibrationNote: String? {
        guard let calibrateWith else { return nil }
        return "a config has no weights to calibrate on: the range guard uses \(calibrateWith)'s measured activation magnitudes, op by op (largest over its layers)"
    }
}

#if canImport(Glibc)
import Glibc
#endif
