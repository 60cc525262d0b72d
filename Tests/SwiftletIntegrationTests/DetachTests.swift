import Foundation
@testable import SwiftletController
import SwiftletPOSIX
import Testing

/// Ctrl-C under an attached run detaches and loses nothing: a setup in progress goes on and the
/// run follows it; the ranks of a multi-node run keep their fail-fast, held by a supervisor on
/// this machine exactly like `launch -d`.
@Suite struct DetachTests {
    let cli = CommandLineTests()

    /// Reads `count` lines from the controller's stdout.
    func lines(_ count: Int, from pipe: Pipe) async -> [String] {
        await BlockingThread.value {
            var lines: [String] = []
            var line = Data()
            while lines.count < count, let byte = try? pipe.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
                if byte == Data("\n".utf8) {
                    lines.append(String(decoding: line, as: UTF8.self))
                    line = Data()
                } else {
                    line += byte
                }
            }
            return lines
        }
    }

    func interruptAndWait(_ process: Process) async -> Int32 {
        process.interrupt()
        return await BlockingThread.value {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    func waitFor(_ description: String, patience: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + patience
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw ControllerError("\(description): not after \(patience)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func ctrlCDuringSetupDetachesAndTheSetupGoesOnThenTheRun() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask(
            """
            setup: |
              echo setting-up
              while [ ! -f ~/go ]; do sleep 0.05; done
              echo setup-done
            run: echo ran
            """,
            home: home
        )
        let (process, out) = try cli.startSwiftlet(["launch", task, "-c", "setupc"], home: home)
        let first = await lines(1, from: out)
        #expect(first.first?.hasSuffix(") setting-up") == true, "\(first)")
        #expect(await interruptAndWait(process) == 130)
        // The setup was not killed: it finishes once told to, and the run follows it.
        let node = home.localNode(cluster: "setupc", index: 0)
        try "".write(toFile: node + "/go", atomically: true, encoding: .utf8)
        let jobs = node + "/.swiftlet/jobs/setupc/1"
        try await waitFor("the run after the setup") { FileSystem.contents(of: jobs + "/run.log") == "ran\n" }
        #expect(FileSystem.contents(of: jobs + "/setup.log") == "setting-up\nsetup-done\n")
        try await waitFor("the job's end") { try await cli.swiftlet(["logs", "setupc", "1", "--status"], home: home).code == 0 }
        let log = DetachedGang.logPath(home: home, cluster: "setupc", job: 1)
        try await waitFor("the supervisor's last word") { FileSystem.contents(of: log).contains("Job 1 ") }
        let supervisor = FileSystem.contents(of: log)
        #expect(supervisor.contains("(setup pid=") && supervisor.contains(") setup-done"), "\(supervisor)")
        #expect(supervisor.contains("Job 1 SUCCEEDED."), "\(supervisor)")
        _ = try await cli.swiftlet(["down", "setupc"], home: home)
    }

    @Test func ctrlCOnAnAttachedMultiNodeRunKeepsFailFast() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask(
            """
            num_nodes: 2
            run: |
              echo started
              if [ "$SKYPILOT_NODE_RANK" = 1 ]; then
                while [ ! -f ~/fail ]; do sleep 0.05; done
                exit 3
              fi
              sleep 600
            """,
            home: home
        )
        let (process, out) = try cli.startSwiftlet(["launch", task, "-c", "gangc"], home: home)
        let started = await lines(2, from: out)
        #expect(started.filter { $0.hasSuffix(") started") }.count == 2, "\(started)")
        #expect(await interruptAndWait(process) == 130)
        // Rank 1 fails after the controller left: the supervisor stops rank 0 at once.
        let worker = home.localNode(cluster: "gangc", index: 1)
        try "".write(toFile: worker + "/fail", atomically: true, encoding: .utf8)
        var jobs: [JobControl.JobSummary] = []
        try await waitFor("the gang's end") {
            let queue = try await cli.swiftlet(["queue", "gangc", "--json"], home: home)
            jobs = try JSONDecoder().decode([JobControl.JobSummary].self, from: Data(queue.stdout.utf8))
            return jobs.first?.ended != nil
        }
        #expect(jobs.first?.state == "FAILED")
        #expect(jobs.first?.exitCodes == [137, 3])
        let log = DetachedGang.logPath(home: home, cluster: "gangc", job: 1)
        try await waitFor("the supervisor's last word") { FileSystem.contents(of: log).contains("ERROR: Job 1 failed") }
        let supervisor = FileSystem.contents(of: log)
        #expect(supervisor.contains("rank 1 on node 1") && supervisor.contains("Return codes in rank order: [137, 3]"), "\(supervisor)")
        _ = try await cli.swiftlet(["down", "gangc"], home: home)
    }
}
