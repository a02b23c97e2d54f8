import Foundation
import XCTest
import SwitchyardModels

/// The `switchyard` tool as a user runs it: real processes, real models, exit codes and messages.
final class CLITests: XCTestCase {
    struct Result { let status: Int32; let stdout: String; let stderr: String }

    /// The built tool, beside the test bundle.
    static var tool: URL {
        var dir = Bundle(for: CLITests.self).bundleURL
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("switchyard").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("switchyard")
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.tool
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "switchyard-cli-\(UUID().uuidString).gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A text file holding `text`, removed after the test.
    func temporaryText(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "switchyard-text-\(UUID().uuidString).txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testGreedyReferenceGenerationBeginsLikeLlamaCpp() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let r = try run(["generate", "-m", "smollm2", "-p", "The capital of France is", "-n", "32", "--temp", "0", "--backend", "reference", "-t", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("The capital of France is Paris."), r.stdout)
        XCTAssertTrue(r.stderr.contains("tok/s"), r.stderr)
    }

    func testBrokenModelFilesExitWithOneAndAClearMessage() throws {
        let good = GGUFTests.sampleWriter().serialize()
        var unknownType = good
        let file = try GGUFFile(path: try temporaryFile(good))
        // Tensor a's type field: the 4 bytes before its offset, right after its one dimension pair.
        let name = Array("a".utf8)
        var at = 24
        while !(good[at..<at + 8].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } == 1 && good[at + 8] == name[0] && good[at + 9] == 2) { at += 1 }
        let typeAt = at + 9 + 4 + 16
        withUnsafeBytes(of: UInt32(99).littleEndian) { unknownType.replaceSubrange(typeAt..<typeAt + 4, with: $0) }
        var pastEnd = good
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { pastEnd.replaceSubrange(typeAt + 4..<typeAt + 12, with: $0) }
        let truncatedReal = try FileHandle(forReadingFrom: URL(fileURLWithPath: TestModels.smollm2Path)).read(upToCount: 5_000_000)!

        let cases: [(String, [UInt8], String)] = [
            ("truncated", Array(truncatedReal), "runs past the end of the file"),
            ("offset past the end", pastEnd, "runs past the end of the file"),
            ("unknown type", unknownType, "unknown (ggml type id 99"),
            ("not GGUF", Array("hello world, not a model".utf8), "is not a GGUF file"),
        ]
        XCTAssertEqual(file.tensors.count, 2)
        for (label, bytes, message) in cases {
            let path = try temporaryFile(bytes)
            for command in [["generate", "-m", path, "-p", "hi", "-n", "1"], ["inspect", path]] {
                let r = try run(command)
                XCTAssertEqual(r.status, 1, "\(label) \(command[0]): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains(message), "\(label) \(command[0]): \(r.stderr)")
                XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            }
        }
    }

    func testMissingModelAndBadFlagsAreClearErrors() throws {
        var r = try run(["generate", "-m", "/no/such/model.gguf", "-p", "hi"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("not found"), r.stderr)
        r = try run(["generate", "-m", "smollm2", "-p", "hi", "--top-p", "2"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--top-p"), r.stderr)
        r = try run(["generate", "-m", "smollm2", "-p", "hi", "--no-such-flag"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("no-such-flag"), r.stderr)
        r = try run(["generate", "-m", "smollm2", "-p", "hi", "--backend", "warp-drive"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("unknown backend 'warp-drive'"), r.stderr)
        r = try run(["plan", "-m", "smollm2", "--route", "frobnicate=reference"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("unknown op kind 'frobnicate'"), r.stderr)
    }

    /// Sampling without --seed draws a random seed, which --verbose prints; giving it back repeats
    /// the text; -2 is refused.
    func testRandomSeedIsPrintedAndRepeatable() throws {
        let flags = ["generate", "-m", "smollm2", "-p", "Once upon a time", "-n", "12", "--temp", "1.2", "--top-k", "0", "--min-p", "0"]
        let first = try run(flags + ["--verbose"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let seedText = try XCTUnwrap(first.stderr.range(of: #"sampling seed (\d+) \(random"#, options: .regularExpression).map { first.stderr[$0] })
        let seed = String(seedText.dropFirst("sampling seed ".count).prefix { $0.isNumber })
        let again = try run(flags + ["--seed", seed])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, first.stdout, "--seed \(seed) repeats the run")
        let other = try run(flags + ["--seed", seed == "1" ? "2" : "1"])
        XCTAssertNotEqual(other.stdout, first.stdout, "another seed draws other tokens")
        let explicit = try run(flags + ["--seed", "-1", "--verbose"])
        XCTAssertEqual(explicit.status, 0, explicit.stderr)
        XCTAssertTrue(explicit.stderr.contains("(random; --seed"), explicit.stderr)
        let bad = try run(flags + ["--seed", "-2"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--seed must be"), bad.stderr)
    }

    func testPromptLongerThanTheContextIsRefused() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let r = try run(["generate", "-m", "smollm2", "-p", String(repeating: "word ", count: 100), "--context", "16", "--backend", "reference"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("the context holds 16"), r.stderr)
    }

    func testInspectOpsPlanAndTokenize() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        var r = try run(["inspect", "smollm2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("llama.block_count"), r.stdout)
        XCTAssertTrue(r.stdout.contains("blk.0.attn_q.weight") && r.stdout.contains("Q4_1"), r.stdout)
        r = try run(["ops"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("matmul (Q4_K)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("reference"), r.stdout)
        r = try run(["plan", "-m", "smollm2", "--policy", "reference"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("segments: 1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("hand-offs between units: 0"), r.stdout)
        r = try run(["tokenize", "-m", "smollm2", "Hello world", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "[19556, 905]")
    }

    func testAutoPicksTheBLASBackendWithoutAGPU() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let r = try run(["plan", "-m", "smollm2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("policy blas,reference"), r.stdout)
        XCTAssertTrue(r.stdout.contains("segments: 1"), r.stdout)
    }

    func testBenchReportsBothPhasesAndTheProfile() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let svg = NSTemporaryDirectory() + "switchyard-bench-\(UUID().uuidString).svg"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: svg) }
        let r = try run(["bench", "-m", "smollm2", "--policy", "blas", "-p", "16", "-n", "4", "-r", "2", "-t", "2", "-o", "json", "--svg", svg])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let runtimes = try XCTUnwrap(report?["runtimes"] as? [[String: Any]])
        XCTAssertEqual(runtimes.first?["runtime"] as? String, "blas")
        let decode = try XCTUnwrap(runtimes.first?["decode_tok_s"] as? [String: Double])
        XCTAssertGreaterThan(decode["median"] ?? 0, 0)
        XCTAssertFalse((runtimes.first?["profile_seconds_per_repetition"] as? [Any] ?? []).isEmpty)
        XCTAssertTrue(try String(contentsOfFile: svg, encoding: .utf8).contains("decode tok/s"))
    }

    /// `--depth 0` decodes from an empty cache (llama-bench's tg test) in a fresh session; a depth past
    /// the prompt and a missing llama-bench are errors that name the problem.
    func testBenchDecodesFromAChosenDepthAndNamesAMissingPeer() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let r = try run(["bench", "-m", "smollm2", "--policy", "blas", "-p", "16", "-n", "4", "-r", "1", "-t", "2", "--depth", "0", "-o", "json", "--no-profile"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["decode_depth"] as? Int, 0)
        let runtimes = try XCTUnwrap(report["runtimes"] as? [[String: Any]])
        XCTAssertGreaterThan((runtimes.first?["decode_tok_s"] as? [String: Double])?["median"] ?? 0, 0)
        let deep = try run(["bench", "-m", "smollm2", "-p", "16", "-n", "4", "--depth", "17"])
        XCTAssertNotEqual(deep.status, 0)
        XCTAssertTrue(deep.stderr.contains("--depth must be between 0 and -p (16)"), deep.stderr)
        let peer = try run(["bench", "-m", "smollm2", "-p", "16", "-n", "4", "-r", "1", "--vs-llama-cpp", "--llama-bench", "/nonexistent/llama-bench"])
        XCTAssertNotEqual(peer.status, 0)
        XCTAssertTrue(peer.stderr.contains("no llama-bench at /nonexistent/llama-bench"), peer.stderr)
    }

    func testCheckComparesTwoPoliciesOpByOp() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let text = try temporaryText("The railway yard sorts cars by destination, one at a time.")
        let r = try run(["check", "-m", "smollm2", "--policy", "reference", "--policy", "blas", "-f", text, "-t", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("blk.29.ffn_residual"), r.stdout)
        XCTAssertTrue(r.stdout.contains("no op departs"), r.stdout)
        XCTAssertTrue(r.stdout.contains("top-1 agreement"), r.stdout)
        let bad = try run(["check", "-m", "smollm2", "--policy", "reference"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("exactly two --policy"), bad.stderr)
        // The decode path, a token per pass: the f32 BLAS backend against its int16 activation mode.
        let decode = try run(["check", "-m", "smollm2", "--policy", "blas", "--policy", "blas-int16", "--batch", "1", "-f", text, "-t", "2"])
        XCTAssertEqual(decode.status, 0, decode.stderr)
        XCTAssertTrue(decode.stdout.contains("1 per pass"), decode.stdout)
        XCTAssertTrue(decode.stdout.contains("top-1 agreement"), decode.stdout)
        let zero = try run(["check", "-m", "smollm2", "--policy", "blas", "--policy", "blas-int16", "--batch", "0"])
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.stderr.contains("--batch must be at least 1"), zero.stderr)
    }

    /// `devices` lists lavapipe as a software renderer (so `auto` stays on the CPU); without a
    /// Vulkan driver it says why in one sentence, and `--backend vulkan` is a clear error, not a crash.
    func testDevicesAndAMissingGPU() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let listed = try run(["devices"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        if !VulkanUnderTest.skipped {
            XCTAssertTrue(listed.stdout.contains("software renderer") || listed.stdout.contains("GPU"), listed.stdout)
            XCTAssertTrue(listed.stdout.contains("max storage-buffer range"), listed.stdout)
        }
        let noDriver = ["VK_DRIVER_FILES": "/nonexistent/icd.json", "VK_ICD_FILENAMES": "/nonexistent/icd.json"]
        let none = try run(["devices"], environment: noDriver)
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertTrue(none.stdout.contains("No GPU backend here") && none.stdout.contains("runs on the CPU"), none.stdout)
        let refused = try run(["generate", "-m", "smollm2", "-p", "Hi", "-n", "2", "--backend", "vulkan"], environment: noDriver)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("Vulkan is not available"), refused.stderr)
        let auto = try run(["generate", "-m", "smollm2", "-p", "Hi", "-n", "2", "--temp", "0"], environment: noDriver)
        XCTAssertEqual(auto.status, 0, auto.stderr)
        let badDevice = try run(["generate", "-m", "smollm2", "-p", "Hi", "-n", "2", "--backend", "vulkan", "--device", "7"])
        XCTAssertEqual(badDevice.status, 1)
        XCTAssertTrue(badDevice.stderr.contains("no Vulkan device 7") || badDevice.stderr.contains("Vulkan is not available"), badDevice.stderr)
    }

    /// `score` and `check` run on the GPU backend (lavapipe in CI).
    func testScoreAndCheckOnVulkan() throws {
        if VulkanUnderTest.skipped { throw XCTSkip("SWITCHYARD_SKIP_VULKAN=1") }
        _ = try TestModels.open(TestModels.smollm2Path)
        let text = NSTemporaryDirectory() + "switchyard-vk-\(UUID().uuidString).txt"
        try "The railway yard sorts cars by destination, one at a time.".write(toFile: text, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: text) }
        let score = try run(["score", "-m", "smollm2", "-f", text, "--backend", "vulkan"])
        XCTAssertEqual(score.status, 0, score.stderr)
        XCTAssertTrue(score.stdout.contains("perplexity"), score.stdout)
        let check = try run(["check", "-m", "smollm2", "--policy", "reference", "--policy", "vulkan", "-f", text, "-t", "2"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("no op departs"), check.stdout)
        XCTAssertTrue(check.stdout.contains("top-1 agreement"), check.stdout)
        let plan = try run(["plan", "-m", "smollm2", "--policy", "vulkan,blas", "--route", "attention=blas"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertTrue(plan.stdout.contains("hand-offs in"), plan.stdout)
        // gpu-only needs no CPU fallback: Vulkan runs every op of both models and of the probe.
        for model in ["smollm2", "gemma3"] {
            let gpuOnly = try run(["plan", "-m", model, "--policy", "gpu-only", "-n", "8"])
            XCTAssertEqual(gpuOnly.status, 0, gpuOnly.stderr)
            XCTAssertTrue(gpuOnly.stdout.contains("segments: 1") && gpuOnly.stdout.contains("hand-offs between units: 0"), gpuOnly.stdout)
        }
        let ops = try run(["ops"])
        let lines = ops.stdout.split(separator: "\n").filter { $0.contains(" | ") }
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("op ") }).split(separator: "|").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        let column = try XCTUnwrap(header.firstIndex(of: "vulkan"), ops.stdout)
        let rows = lines.filter { !$0.hasPrefix("op ") }
        XCTAssertFalse(rows.isEmpty, ops.stdout)
        for row in rows {
            let cells = row.split(separator: "|")
            XCTAssertTrue(cells.count > column && cells[column].trimmingCharacters(in: .whitespaces) == "yes", "vulkan refuses: \(row)")
        }
    }
}

/// The accelerator-routed policy as a user meets it: the plan with its programs, hand-offs and
/// picture, the cross-check against GPU-only, and text from both models.
extension CLITests {
    func testPlanShowsProgramsAndHandOffsAndDrawsThem() throws {
        for model in ["smollm2", "gemma3"] {
            let svg = NSTemporaryDirectory() + "switchyard-plan-\(UUID().uuidString).svg"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: svg) }
            let r = try run(["plan", "-m", model, "--policy", "accelerator-routed", "--ops", "--svg", svg, "-t", "2"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("accelerator [accelerator]"), r.stdout)
            XCTAssertTrue(r.stdout.contains("program output [1/"), "the output head split at 16,384 columns: \(r.stdout)")
            XCTAssertTrue(r.stdout.contains("hand-off token_embd"), r.stdout)
            XCTAssertTrue(r.stdout.contains("modeled unit time"), r.stdout)
            let picture = try String(contentsOfFile: svg, encoding: .utf8)
            XCTAssertTrue(picture.contains("layer 0") && picture.contains("accelerator (") && picture.contains("hand-off ("), picture)
        }
        // Gemma 3's residual stream passes fp16's range: those ops stay on the GPU, each a hand-off.
        let gemma = try run(["plan", "-m", "gemma3", "--policy", "accelerator-routed", "--ops"])
        XCTAssertTrue(gemma.stdout.contains("blk.10.attn_residual (add)"), gemma.stdout)
        XCTAssertGreaterThan(gemma.stdout.components(separatedBy: "hand-off ").count, 30, gemma.stdout)
    }

    func testCheckGPUOnlyAgainstAcceleratorRouted() throws {
        _ = try TestModels.open(TestModels.smollm2Path)
        let text = try temporaryText("The railway yard sorts cars by destination, one at a time, and sends each train on its way.")
        let r = try run(["check", "-m", "smollm2", "--policy", "gpu-only", "--policy", "accelerator-routed", "-f", text, "-t", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("blk.29.ffn_residual") && r.stdout.contains("max|x|"), r.stdout)
        XCTAssertTrue(r.stdout.contains("top-1 agreement"), r.stdout)
        let gemma = try run(["check", "-m", "gemma3", "--policy", "blas", "--policy", "accelerator,blas", "-f", text, "-t", "2"])
        XCTAssertEqual(gemma.status, 0, gemma.stderr)
        XCTAssertTrue(gemma.stdout.contains("kept off the fp16 unit by the range guard (R9)"), gemma.stdout)
        XCTAssertTrue(gemma.stdout.contains("*"), "layers past fp16's range are marked: \(gemma.stdout)")
    }

    func testGenerateOnBothModelsReportsModeledCost() throws {
        for model in ["smollm2", "gemma3"] {
            let trace = NSTemporaryDirectory() + "switchyard-trace-\(UUID().uuidString).json"
            addTeardownBlock { try? FileManager.default.removeItem(atPath: trace) }
            let r = try run(["generate", "-m", model, "--policy", "accelerator-routed", "-p", "The capital of France is", "-n", "12", "--temp", "0", "-t", "2",
                             "--save-trace", trace])
            XCTAssertEqual(r.status, 0, r.stderr)
            // The executed plans as a trace: the prompt's pass and the decode pass, every op with its unit.
            let passes = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [[String: Any]])
            XCTAssertEqual(passes.map { $0["tokens"] as? Int }.last, 1)
            let ops = try XCTUnwrap(passes.last?["ops"] as? [[String: Any]])
            XCTAssertTrue(ops.contains { $0["unit"] as? String == "accelerator" } && ops.contains { $0["kind"] as? String == "embed" && $0["unit"] as? String == "gpu" })
            XCTAssertTrue(r.stdout.contains("Paris") || r.stdout.count > "The capital of France is".count + 20, r.stdout)
            XCTAssertTrue(r.stderr.contains("accelerator: host") && r.stderr.contains("modeled unit"), r.stderr)
        }
    }
}

/// `switchyard simulate` on both real models, on configs without weights, and its errors.
extension CLITests {
    func testSimulateComparesPoliciesOnAPhone() throws {
        _ = try TestModels.open(TestModels.gemma3Path)
        let svg = NSTemporaryDirectory() + "switchyard-sim-\(UUID().uuidString).svg"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: svg) }
        for model in ["smollm2", "gemma3"] {
            let r = try run(["simulate", "-m", model, "--profile", "a17-pro", "--policy", "gpu-only", "--policy", "accelerator-routed", "--svg", svg])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("| gpu-only |") && r.stdout.contains("| accelerator-routed |"), r.stdout)
            XCTAssertTrue(r.stdout.contains("off the accelerator") && r.stdout.contains("embed (R1)"), r.stdout)
            XCTAssertTrue(try String(contentsOfFile: svg, encoding: .utf8).contains("accelerator-routed"))
        }
        // A config without weights: Gemma-like 4B at INT4, JSON out.
        let r = try run(["simulate", "--config", "configs/gemma-like-4b-int4.json", "--profile", "a17-pro",
                         "--policy", "gpu-only", "--policy", "accelerator-routed", "-o", "json", "--minutes", "10"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let policies = try XCTUnwrap(json["policies"] as? [[String: Any]])
        XCTAssertEqual(policies.map { $0["policy"] as? String }, ["gpu-only", "accelerator-routed"])
        for p in policies {
            XCTAssertGreaterThan(p["decode_tok_s"] as? Double ?? 0, 0)
            XCTAssertGreaterThan(p["decode_joules_per_token"] as? Double ?? 0, 0)
            XCTAssertFalse((p["decode_tok_s_over_time"] as? [Any] ?? []).isEmpty)
        }
        let off = try XCTUnwrap(policies[1]["off_accelerator"] as? [[String: Any]])
        XCTAssertTrue(off.contains { ($0["ops"] as? String ?? "").contains("R9") }, "Gemma's residual adds stay off: \(off)")
    }

    /// On a GPU the fixed cost is per dependent step: a llama layer's 16 ops wait at 12 barriers
    /// (q, k and v share one; so do the two RoPEs with v's cache write, and gate with up), plus the
    /// embedding, the final norm and the head; on a CPU it is per op.
    func testSimulatePricesGPUStepsAndCPUOps() throws {
        func decode(_ profile: String, _ policy: String) throws -> [String: Any] {
            let r = try run(["simulate", "-m", "smollm2", "--profile", profile, "--policy", policy, "-o", "json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let policy = try XCTUnwrap((json["policies"] as? [[String: Any]])?.first)
            return try XCTUnwrap(policy["decode"] as? [String: Any], "\(policy)")
        }
        let gpu = try decode("h200", "gpu-only")
        XCTAssertEqual(gpu["dispatches"] as? Int, 30 * 16 + 3)
        XCTAssertEqual(gpu["dependent_steps"] as? Int, 30 * 12 + 3)
        let cpu = try decode("host-epyc-2core", "cpu")
        XCTAssertEqual(cpu["dispatches"] as? Int, 30 * 16 + 3)
        XCTAssertEqual(cpu["dependent_steps"] as? Int, 0)
    }

    func testSimulateErrorsAreClear() throws {
        var r = try run(["simulate", "-m", "smollm2", "--profile", "no-such-phone", "--policy", "gpu-only"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no device profile 'no-such-phone'"), r.stderr)
        r = try run(["simulate", "-m", "smollm2", "--profile", "host-epyc-2core", "--policy", "gpu-only"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("has no gpu unit"), r.stderr)
        let profile = NSTemporaryDirectory() + "switchyard-profile-\(UUID().uuidString).json"
        let h200 = try String(contentsOfFile: "profiles/h200.json", encoding: .utf8)
        try h200.replacingOccurrences(of: "\"q6_K\"", with: "\"q9_X\"").write(toFile: profile, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: profile) }
        r = try run(["simulate", "-m", "smollm2", "--profile", profile, "--policy", "gpu-only"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("unknown weight format 'q9_X' in formatBandwidth"), r.stderr)
        let config = try temporaryText("{\"architecture\": \"gemma3\", \"layers\": 2}")
        r = try run(["simulate", "--config", config, "--profile", "a17-pro", "--policy", "gpu-only"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("model config:"), r.stderr)
    }
}

extension CLITests {
    /// `devices --probe` measures the Vulkan device with the backend's kernels (lavapipe here),
    /// and the CPU with the BLAS backend's.
    func testDevicesProbe() throws {
        let lines = ["dependent dispatch", "matrix-vector Q4_0", "dependent matrix-vector step", "matrix product F16", "median over formats"]
        var r = try run(["devices", "--probe", "--backend", "blas", "-t", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("probing the cpu with blas"), r.stdout)
        for line in lines { XCTAssertTrue(r.stdout.contains(line), r.stdout) }
        r = try run(["devices", "--backend", "blas"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--backend only goes with --probe"), r.stderr)
        if VulkanUnderTest.skipped { throw XCTSkip("SWITCHYARD_SKIP_VULKAN=1") }
        r = try run(["devices", "--probe"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in lines { XCTAssertTrue(r.stdout.contains(line), r.stdout) }
    }
}
