import Foundation
import Testing

@testable import SwiftletTask

/// Every task in SkyPilot's own examples and tests, read by Swiftlet and compared with what
/// SkyPilot 0.14.1's parser made of it (`shared/fixtures/skypilot-tasks/expected.json`).
@Suite struct SkyPilotCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures/skypilot-tasks").path

    /// A clone of the project alone has no `../shared`: the test is skipped there, saying why. In
    /// CI (`CI` set) the fixtures are always beside the clone, and the test is required.
    static var corpusIsHereOrRequired: Bool {
        FileManager.default.fileExists(atPath: corpus + "/expected.json") || ProcessInfo.processInfo.environment["CI"] != nil
    }

    @Test(.enabled(if: corpusIsHereOrRequired, "no ../shared/fixtures/skypilot-tasks beside this clone (CI requires it)"))
    func readsEveryTaskTheWaySkyPilotDoes() throws {
        let expectedPath = Self.corpus + "/expected.json"
        guard let data = FileManager.default.contents(atPath: expectedPath) else {
            Issue.record("the SkyPilot corpus is missing: \(expectedPath) (the fixtures live in ../shared beside the clone)")
            return
        }
        let expected = try JSONDecoder().decode([String: PythonJSON].self, from: data)
        var matched = 0
        var compared = 0
        var mismatches: [String] = []
        let started = ContinuousClock.now
        for (path, entry) in expected.sorted(by: { $0.key < $1.key }) {
            guard case .object(let fields) = entry, fields["error"] != .string("catalog-needed") else { continue }
            compared += 1
            let result = Result { try TaskLoader.load(path: Self.corpus + "/" + path) }
            switch (result, fields["error"]) {
            case (.failure, .some):
                matched += 1
            case (.success, .some(let error)):
                mismatches.append("\(path): accepted, SkyPilot rejects it (\(error))")
            case (.failure(let error), nil):
                mismatches.append("\(path): rejected: \(error)")
            case (.success(let task), nil):
                let ours = task.normalized.text
                let theirs = entry.text
                if ours == theirs {
                    matched += 1
                } else {
                    mismatches.append("\(path):\n  SkyPilot: \(theirs)\n  Swiftlet: \(ours)")
                }
            }
        }
        let elapsed = started.duration(to: .now)
        print("SkyPilot corpus: \(matched) of \(compared) match, \(elapsed) in all")
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        #expect(compared >= 200, "the corpus looks truncated: \(compared) files")
    }
}

extension PythonJSON: Decodable {
    /// Read back from JSON, to be written again the Python way.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([PythonJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: PythonJSON].self))
        }
    }
}
