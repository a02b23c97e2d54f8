#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

/// llama.cpp's own `llama-bench` (built natively by `scripts/setup-llama-cpp.sh`), one process per
/// repetition: a `-p P -n 0` test for prefill, then a `-p 0 -n N -d D` test for decode, `-r 1`,
/// read back with `-o json`. Each test runs its own warm-up inside the process first, as llama-bench
/// does by default. Its prompt is random tokens of the same count (speed does not depend on which).
final class LlamaBenchRunner: BenchRunner {
    let executable: String, modelPath: String
    let threads: Int, promptTokens: Int, generate: Int, depth: Int

    init(executable: String, modelPath: String, threads: Int, promptTokens: Int, generate: Int, depth: Int) throws {
        guard access(executable, X_OK) == 0 else {
            throw ValidationError("no llama-bench at \(executable): run scripts/setup-llama-cpp.sh or pass --llama-bench")
        }
        self.executable = executable; self.modelPath = modelPath
        self.threads = threads; self.promptTokens = promptTokens; self.generate = generate; self.depth = depth
        // "version: 0.5.0-dev (build 1, commit 0c1e570)" on standard error: the commit names the build.
        let words = try LineProcess.run(["/bin/sh", "-c", "exec \"$0\" --version 2>&1", executable]).output.split { " \n(),".contains($0) }
        let commit = words.firstIndex(of: "commit").map { words.index(after: $0) }.flatMap { $0 < words.endIndex ? " " + words[$0] : nil } ?? ""
        super.init(label: "llama.cpp (llama-bench\(commit), CPU)")
    }

    override func measure() throws -> BenchSample {
        let prefill = try seconds(["-p", String(promptTokens), "-n", "0"])
        let decode = try seconds(["-p", "0", "-n", String(generate), "-d", String(depth)])
        return BenchSample(prefillSeconds: prefill, firstTokenSeconds: prefill, decodeSeconds: decode)
    }

    /// The one sample's time of a one-test run.
    private func seconds(_ test: [String]) throws -> Double {
        let command = [executable, "-m", modelPath, "-t", String(threads), "-r", "1", "-o", "json"] + test
        let (status, output) = try LineProcess.run(command)
        guard status == 0, let nanoseconds = LlamaCppRunner.number("avg_ns", output) else {
            throw ValidationError("llama-bench failed (exit \(status)): \(command.joined(separator: " "))")
        }
        return nanoseconds / 1e9
    }
}

/// llama.cpp through `scripts/bench/llama_cpp_peer.py` (the `llama-cpp-python` binding, which adds
/// per-call overhead of its own), loaded once, one repetition per request.
final class LlamaCppRunner: BenchRunner {
    let process: LineProcess
    let request: String

    init(python: String, modelPath: String, threads: Int, context: Int, prompt: [Int32], generate: Int, depth: Int) throws {
        let script = BenchPaths.peerScript
        guard access(python, X_OK) == 0 else {
            throw ValidationError("no Python with llama-cpp-python at \(python): run scripts/setup-llama-cpp.sh or pass --llama-python")
        }
        process = try LineProcess([python, script, modelPath, String(threads), String(context)])
        request = "{\"prompt\": [\(prompt.map(String.init).joined(separator: ","))], \"generate\": \(generate), \"depth\": \(depth)}"
        guard let ready = process.readLine(), ready.contains("ready") else { throw ValidationError("llama.cpp peer did not start (\(script))") }
        let version = ready.split(separator: "\"").dropLast().last.map(String.init) ?? "?"
        super.init(label: "llama.cpp (llama-cpp-python \(version), CPU)")
    }

    override func measure() throws -> BenchSample {
        process.send(request)
        guard let line = process.readLine(), let prefill = Self.number("prefill_s", line), let decode = Self.number("decode_s", line),
              let first = Self.number("first_token_s", line) else { throw ValidationError("llama.cpp peer gave no result") }
        return BenchSample(prefillSeconds: prefill, firstTokenSeconds: first, decodeSeconds: decode)
    }

    override func finish() { process.finish() }

    /// The number after the first `"key":` in JSON text.
    static func number(_ key: String, _ text: String) -> Double? {
        guard let range = text.range(of: "\"\(key)\":") else { return nil }
        let rest = text[range.upperBound...].drop { $0 == " " }
        return Double(rest.prefix { "0123456789.eE-+".contains($0) })
    }
}

enum BenchPaths {
    /// The peer script, beside the tool's source tree (the tool runs from the repository).
    static var peerScript: String { beside("scripts/bench/llama_cpp_peer.py") }
    /// llama-bench as `scripts/setup-llama-cpp.sh` builds it.
    static var llamaBench: String { beside(".llama-bench/build/bin/llama-bench") }

    /// `path` relative to the working directory if it is there, else to the repository the tool was built in.
    private static func beside(_ path: String) -> String {
        let candidates = [path, executableDirectory + "/../../" + path]
        return candidates.first { access($0, R_OK) == 0 } ?? candidates[0]
    }

    static var executableDirectory: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return "." }
        let path = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }
}
