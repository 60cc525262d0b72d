import Foundation
import SwiftletController
import SwiftletPOSIX

/// A `swiftlet` command running while a test acts on what it started: a test waits for the
/// moment it needs (a job's first line, its processes) through `waitUntil`, which names the
/// command's own output when it ended first or took longer than `patience`, instead of a bare
/// "timed out" that hides why.
struct BackgroundCommand: Sendable {
    private let task: Task<CommandLineTests.Run, Error>
    private let ended: Locked<CommandLineTests.Run?>

    init(_ cli: CommandLineTests, _ arguments: [String], home: SwiftletHome) {
        let ended = Locked<CommandLineTests.Run?>(nil)
        self.ended = ended
        task = Task {
            let run = try await cli.swiftlet(arguments, home: home)
            ended.withLock { $0 = run }
            return run
        }
    }

    /// Waits until `condition` holds; throws if the command ended first or `patience` ran out.
    func waitUntil(
        _ what: String,
        patience: Duration = .seconds(120),
        _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + patience
        while try await !condition() {
            if let run = ended.withLock({ $0 }) {
                throw ControllerError("the command ended (\(run.code)) before \(what): \(run.stderr)")
            }
            guard ContinuousClock.now < deadline else { throw ControllerError("no \(what) after \(patience)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until `count` processes match `pattern` (`pgrep -f`).
    func waitForProcesses(matching pattern: String, count: Int) async throws {
        try await waitUntil("\(count) processes matching '\(pattern)'") {
            let counted = try await TestSupport.shell("pgrep -cf '\(pattern)' || true").output
            return Int(counted.trimmingCharacters(in: .whitespacesAndNewlines)) == count
        }
    }

    var value: CommandLineTests.Run {
        get async throws { try await task.value }
    }
}
