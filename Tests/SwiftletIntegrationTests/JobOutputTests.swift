import Foundation
@testable import SwiftletController
import SwiftletPOSIX
import SwiftletTask
import Testing

/// Orchestration never prints: a launch driven in-process hands its lines and events to the
/// `JobOutput` it was given, and nothing else.
@Suite struct JobOutputTests {
    final class CollectedOutput: JobOutput {
        let collected = Locked((stdout: [UInt8](), stderr: [UInt8](), events: [JobEvent]()))

        func write(_ lines: UnsafeRawBufferPointer, to stream: SwiftletController.OutputStream) {
            collected.withLock {
                if stream == .standardOutput { $0.stdout += lines } else { $0.stderr += lines }
            }
        }

        func report(_ event: JobEvent) { collected.withLock { $0.events.append(event) } }
    }

    @Test func aLaunchReportsItsLinesAndEventsToItsOutput() async throws {
        let home = try TestSupport.makeHome()
        let output = CollectedOutput()
        let runner = JobRunner(home: home, connector: try TestSupport.connector(home: home), output: output)
        var task = TaskSpec()
        task.name = "hi"
        task.run = "echo out; echo err >&2; exit 3"
        let code = try await runner.launch(.init(task: task, runSetup: true), cluster: "events", infra: .local)
        defer { Task { try? await ClusterTeardown(home: home).down("events") } }
        let (stdout, stderr, events) = output.collected.withLock { ($0.stdout, $0.stderr, $0.events) }
        #expect(code == 100)
        // A task's output comes as SkyPilot's: both streams on stdout, after its id.
        let text = String(decoding: stdout, as: UTF8.self)
        #expect(text.hasPrefix("(hi, pid=") && text.contains(") out\n") && text.contains(") err\n"), "\(text)")
        #expect(stderr.isEmpty)
        #expect(events.first == .launching(cluster: "events", infra: .local, nodes: 1))
        #expect(events.contains(.attached(cluster: "events", job: 1)))
        guard case .failed(let job, let failure, let codes) = events.last else {
            Issue.record("the last event is \(String(describing: events.last))")
            return
        }
        #expect(job == 1 && failure.contains("exited with return code 3") && codes == nil)
    }

    /// The keeper is a background `swiftlet keeper`: once idle for `$SWIFTLET_KEEPALIVE`
    /// seconds it stops taking clients and its process ends by returning, not by `exit` from
    /// deep inside.
    @Test func anIdleKeeperRetiresAndItsProcessEnds() async throws {
        let home = try TestSupport.makeHome()
        let cli = CommandLineTests()
        let task = try cli.writeTask("run: echo kept\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "idle", "--infra", "local"], home: home, keepAlive: 3)
        #expect(run.code == 0, "\(run.stderr)")
        let deadline = ContinuousClock.now + .seconds(30)
        while !Self.keepers(of: home).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(Self.keepers(of: home).isEmpty, "a keeper still runs 30 s after its 3 s of idle")
        let keep = home.path + "/keep"
        #expect(try FileManager.default.contentsOfDirectory(atPath: keep).filter { $0.hasSuffix(".sock") }.isEmpty)
        _ = try await cli.swiftlet(["down", "idle"], home: home)
    }

    /// The `swiftlet keeper` processes of `home` that have not ended (zombies count as ended).
    static func keepers(of home: SwiftletHome) -> [pid_t] {
        FileSystem.entries(of: "/proc").compactMap { pid_t($0) }.filter { pid in
            let arguments = FileSystem.contents(of: "/proc/\(pid)/cmdline").split(separator: "\0")
            let environment = FileSystem.contents(of: "/proc/\(pid)/environ").split(separator: "\0")
            return arguments.dropFirst().first == "keeper" && environment.contains("SWIFTLET_HOME=\(home.path)")
                && !FileSystem.contents(of: "/proc/\(pid)/stat").contains(") Z ")
        }
    }
}

extension JobOutputTests {
    /// Commands that reach a node for the first time at the same moment share one keeper.
    @Test func concurrentFirstCommandsShareOneKeeper() async throws {
        let home = try TestSupport.makeHome()
        let cli = CommandLineTests()
        let task = try cli.writeTask("run: echo up\n", home: home)
        // The cluster without a keeper (kept for 0 s), then three commands at once that keep one.
        _ = try await cli.swiftlet(["launch", task, "-c", "crowd"], home: home, keepAlive: 0)
        try await withThrowingTaskGroup(of: CommandLineTests.Run.self) { group in
            for index in 0..<3 {
                group.addTask { try await cli.swiftlet(["exec", "crowd", "--", "echo \(index)"], home: home, keepAlive: 30) }
            }
            for try await run in group { #expect(run.code == 0, "\(run.stderr)") }
        }
        #expect(Self.keepers(of: home).count == 1, "keepers: \(Self.keepers(of: home))")
        _ = try await cli.swiftlet(["down", "crowd"], home: home)
    }
}

extension JobOutputTests {
    /// A supervisor's log stops at its limit with a line saying where the rest is; events pass.
    @Test func aBoundedOutputStopsAtItsLimitAndSaysWhereTheRestIs() {
        let collected = CollectedOutput()
        let bounded = BoundedOutput(collected, limit: 11, note: "(see the node's log)")
        for chunk in ["12345\n", "6789\n", "abc\n", "def\n"] {
            Array(chunk.utf8).withUnsafeBytes { bounded.write($0, to: .standardOutput) }
        }
        bounded.report(.succeeded(job: 1))
        let (stdout, events) = collected.collected.withLock { ($0.stdout, $0.events) }
        #expect(String(decoding: stdout, as: UTF8.self) == "12345\n6789\n")
        #expect(events == [.helper("(see the node's log)"), .succeeded(job: 1)])
    }
}
