import ArgumentParser
import Logging

/// `switchyard`: run, inspect, plan and check LLMs on interchangeable backends.
@main
struct SwitchyardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Run GGUF language models with each op routed to interchangeable backends.",
        subcommands: [Generate.self, Serve.self, Bench.self, Check.self, Chat.self, Score.self, Tokenize.self, Inspect.self, Ops.self, PlanCommand.self, Simulate.self, Devices.self, Synthesize.self],
        defaultSubcommand: nil)
}

/// Logs go to standard error; `--verbose` shows debug lines.
enum Log {
    static func setUp(verbose: Bool) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .warning
            return handler
        }
    }
    static let main = Logger(label: "switchyard")
}
