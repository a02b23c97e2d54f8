import Foundation
import XCTest
import SwitchyardModels

/// The real models the tests run on, as `scripts/fetch-models.sh` leaves them. A missing model is
/// a test failure, not a skip: the test command fetches them first.
enum TestModels {
    static var folder: String {
        ProcessInfo.processInfo.environment["SWITCHYARD_MODELS"]
            ?? (NSHomeDirectory() + "/.cache/switchyard/models")
    }
    static var smollm2Path: String { folder + "/SmolLM2-135M-Instruct.Q4_1.gguf" }
    static var gemma3Path: String { folder + "/gemma-3-270m-q4_k_m.gguf" }

    /// Opens a real model file, failing the test with a clear message when it is missing.
    static func open(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> GGUFFile {
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("model \(path) is missing: run scripts/fetch-models.sh", file: file, line: line)
            throw XCTSkip("model missing")
        }
        return try GGUFFile(path: path)
    }

    /// URL of a fixture file shipped with the tests.
    static func fixture(_ name: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)!
    }
}
