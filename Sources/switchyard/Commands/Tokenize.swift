import ArgumentParser
import SwitchyardModels

/// `switchyard tokenize`: token ids and pieces of a text, like llama-tokenize.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the token ids and pieces of a text.")

    @OptionGroup var model: ModelOption
    @Argument(help: "The text to tokenize.")
    var text: String
    @Flag(name: .long, help: "Print a JSON array of ids.")
    var json = false
    @Flag(name: .customLong("no-bos"), help: "Do not add the BOS token even if the model asks for it.")
    var noBOS = false
    @Flag(name: .customLong("no-parse-special"), help: "Treat special-token texts such as <|im_start|> as plain text.")
    var noParseSpecial = false

    func run() throws {
        let loaded = try model.load()
        let ids = loaded.tokenizer.encode(text, addSpecial: !noBOS, parseSpecial: !noParseSpecial)
        if json {
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        } else {
            for id in ids { print("\(id) -> '\(loaded.tokenizer.piece(of: id))'") }
        }
    }
}
