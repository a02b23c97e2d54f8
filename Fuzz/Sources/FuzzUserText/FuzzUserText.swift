import FuzzSupport
import Switchyard
@testable import SwitchyardModels

/// Fuzz target (d): the paths that take a user's text. Byte 0 picks one (mod 4), the rest is the text:
/// 0. the CLI's JSON reader (`JSONValue`, for `--config` and device profiles; compiled here from the
///    CLI's own source through a link) on the text, and the JSON writer (`JSON.string`, for `--json`
///    outputs) round trip: the text written as a JSON string reads back as the same text;
/// 1. routing policies: the first line as `--policy`, each further line as a `--route`;
/// 2. chat templates: the text cut at U+0001 into (at most 32) messages (roles from the first scalar) rendered by
///    every family, each turn's continuation (the prefix property, checked inside), template detection
///    from the text as a Jinja template;
/// 3. stop strings: cut at U+0001, the first piece's scalar count (mod 4) of pieces are stop strings,
///    the rest streamed through `StopStringFilter`: what comes out is a prefix of what went in and holds
///    no stop string.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUserText(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    switch data[0] % 4 {
    case 0: fuzzJSON(text)
    case 1: fuzzPolicy(text)
    case 2: fuzzChat(text)
    default: fuzzStops(text)
    }
    return 0
}

func fuzzJSON(_ text: String) {
    do {
        _ = try JSONValue.parse(text)
    } catch let error as JSONValue.ParseError {
        fuzzCheck(!error.description.contains("\n"), "error is not one line: \(error)")
    } catch {
        fuzzCheck(false, "untyped error: \(error)")
    }
    let written = JSON.string(text)
    fuzzCheck((try? JSONValue.parse(written)) == .string(text), "\(Array(text.utf8)) written as \(written) does not read back")
}

func fuzzPolicy(_ text: String) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    do {
        let policy = try RoutingPolicy.parse(list: lines.first, routes: Array(lines.dropFirst()))
        fuzzCheck(!policy.backendNames.isEmpty, "an accepted policy names no backend")
        for kind in OpKind.allCases { _ = policy.candidates(for: kind) }
        _ = policy.description
    } catch let error as PolicyError {
        fuzzCheck(!error.description.contains("\n") || text.contains("\n"), "error is not one line: \(error)")
    } catch {
        fuzzCheck(false, "untyped error: \(error)")
    }
}

func fuzzChat(_ text: String) {
    // At most 32 messages: the continuation of every prefix renders the conversation again, so the
    // check costs the square of the count (a chat's own cost per turn is linear).
    let messages = text.split(separator: "\u{1}", maxSplits: 31, omittingEmptySubsequences: false).map { piece -> ChatMessage in
        let role = ChatRole.allCases[Int(piece.unicodeScalars.first?.value ?? 0) % 3]
        return ChatMessage(role, String(piece.unicodeScalars.dropFirst()))
    }
    let templates: [ChatTemplate] = [.chatML(), .chatML(defaultSystemPrompt: "You are helpful."), .gemma, .plain,
                                     ChatTemplate.detect(jinja: text, architecture: "gemma3", hasSpecialToken: { _ in true })]
    for template in templates {
        let whole = template.render(messages, addGenerationPrompt: true)
        var built = ""
        for i in messages.indices {
            built += template.continuation(after: Array(messages[..<i]), adding: messages[i], addGenerationPrompt: false)
        }
        fuzzCheck(built + template.generationPrompt == whole, "\(template.family): the continuations do not add up to the rendering")
        _ = template.stopStrings
    }
}

func fuzzStops(_ text: String) {
    let pieces = text.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
    let stopCount = min(pieces.count - 1, (pieces.first?.unicodeScalars.count ?? 0) % 4)
    let stops = Array(pieces.dropFirst().prefix(stopCount))
    let streamed = pieces.dropFirst(1 + stopCount)
    var filter = StopStringFilter(stops)
    var out = "", stopped = false
    for piece in streamed {
        let (ready, stop) = filter.push(piece)
        out += ready
        if stop { stopped = true; break }
    }
    if !stopped { out += filter.flush() }
    let input = streamed.joined()
    fuzzCheck(input.unicodeScalars.starts(with: out.unicodeScalars), "streamed \(Array(out.utf8)) is not a prefix of \(Array(input.utf8))")
    for stop in stops where !stop.isEmpty {
        fuzzCheck(out.range(of: stop) == nil, "streamed \(Array(out.utf8)) holds the stop string \(Array(stop.utf8))")
    }
    if !stopped { fuzzCheck(out == input, "nothing stopped but \(Array(out.utf8)) differs from \(Array(input.utf8))") }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
    SeedHook.writeSeedsIfAsked { folder in
        // JSON seeds: fuzz.sh adds the configs/ and profiles/ files; here, a few small documents.
        let seeds: [(UInt8, String)] = [
            (0, #"{"a": [1, -2.5e3, true, false, null, "x\n\u00e9\"\\"], "b": {}}"#), (0, "[[[]]]"),
            (1, "accelerator,vulkan,blas\nmatmul=accelerator\n*=vulkan"), (1, "reference"), (1, "blas,\n=x"),
            (2, "\u{0}You are nice.\u{1}\u{1}  Hello  \u{1}\u{2}Hi there\u{1}\u{1}<|im_start|>x<end_of_turn>"),
            (2, "{% for m in messages %}<|im_start|>system\nBe brief.<|im_end|>{% endfor %}"),
            (3, "\u{0}\u{0}\u{1}<|im_end|>\u{1}User:\u{1}Hello <|im_\u{1}end|> there\u{1}User"),
        ]
        for (i, seed) in seeds.enumerated() { FuzzFile.save([seed.0] + Array(seed.1.utf8), as: "seed-\(i)", in: folder) }
    }
    return 0
}
