import Foundation
import SwiftletPOSIX
import Testing

@testable import SwiftletTask

/// The schema's corners (cpus and memory forms, a git workdir, env names, a region's image,
/// nulls in `any_of` / `ordered`, a service's rules) read as SkyPilot 0.14.1 itself reads them:
/// the cases in `SkyPilotCases/` go through SkyPilot's own parser (`scripts/skypilot-oracle.py`,
/// run by the python that `SWIFTLET_SKYPILOT_PYTHON` names; `scripts/test.sh` installs it from
/// PyPI) and through Swiftlet's, and must read the same or be refused by both.
@Suite struct SkyPilotOracleTests {
    static let project = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let python = ProcessInfo.processInfo.environment["SWIFTLET_SKYPILOT_PYTHON"]

    /// Without SkyPilot installed the test is skipped, saying why; CI (`CI` set) requires it.
    static var oracleIsHereOrRequired: Bool {
        python != nil || ProcessInfo.processInfo.environment["CI"] != nil
    }

    @Test(
        .enabled(if: oracleIsHereOrRequired, "no SkyPilot to ask: set SWIFTLET_SKYPILOT_PYTHON (scripts/test.sh installs skypilot==0.14.1)")
    )
    func theSchemasCornersReadAsSkyPilotReadsThem() async throws {
        guard let python = Self.python else {
            Issue.record("SWIFTLET_SKYPILOT_PYTHON is not set: CI must ask SkyPilot 0.14.1 itself (scripts/test.sh installs it)")
            return
        }
        let cases = Self.project + "/Tests/SwiftletTaskTests/SkyPilotCases"
        let files = try FileManager.default.contentsOfDirectory(atPath: cases).filter { $0.hasSuffix(".yaml") }.sorted()
        // On a thread of its own: SkyPilot takes seconds to import, and a blocked thread of the
        // shared pool starves every other test of this process (two threads on two cores).
        let arguments = [Self.project + "/scripts/skypilot-oracle.py"] + files.map { cases + "/" + $0 }
        let lines = try await BlockingThread.value {
            let oracle = Process()
            oracle.executableURL = URL(fileURLWithPath: python)
            oracle.arguments = arguments
            let output = Pipe()
            oracle.standardOutput = output
            oracle.standardError = FileHandle.nullDevice
            try oracle.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            oracle.waitUntilExit()
            return text
        }.split(separator: "\n")
        #expect(lines.count == files.count, "SkyPilot read \(lines.count) of \(files.count) cases")
        var mismatches: [String] = []
        for line in lines {
            guard case .object(let answer) = try JSONDecoder().decode(PythonJSON.self, from: Data(line.utf8)),
                case .string(let file) = answer["file"]
            else { continue }
            let ours = Result { try TaskLoader.load(path: cases + "/" + file) }
            switch (ours, answer["task"]) {
            case (.failure, nil):
                continue
            case (.success, nil):
                mismatches.append("\(file): Swiftlet accepts it; SkyPilot says \(answer["message"].map(\.text) ?? "")")
            case (.failure(let error), .some):
                mismatches.append("\(file): Swiftlet refuses it (\(error)); SkyPilot accepts it")
            case (.success(let task), .some(let theirs)):
                if task.normalized.text != theirs.text {
                    mismatches.append("\(file):\n  SkyPilot: \(theirs.text)\n  Swiftlet: \(task.normalized.text)")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }
}
