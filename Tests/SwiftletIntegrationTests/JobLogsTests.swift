import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `swiftlet logs`: output read back from the nodes' log files, exit codes, and resuming after a
/// cut connection with no line lost or repeated.
@Suite struct JobLogsTests {
    let cli = CommandLineTests()

    func lines(_ output: String) -> [String] {
        output.split(separator: "\n").map { String($0[($0.range(of: ") ")?.upperBound ?? $0.startIndex)...]) }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func exitCodesTellSucceededFailedRunningAndMissing(_ kind: TransportKind) async throws {
        let home = try TestSupport.makeHome()
        let good = try cli.writeTask("name: good\nrun: echo fine\n", home: home, name: "good.yaml")
        let bad = try cli.writeTask("name: bad\nrun: |\n  echo trying\n  exit 3\n", home: home, name: "bad.yaml")
        let slow = try cli.writeTask(
            "name: slow\nrun: |\n  echo begun\n  while [ ! -f ~/go-\(kind) ]; do sleep 0.05; done\n",
            home: home,
            name: "slow.yaml"
        )
        _ = try await cli.swiftlet(["launch", good, "-c", "logs-\(kind)"] + cli.infraArguments(kind, home: home), home: home)
        _ = try await cli.swiftlet(["exec", "logs-\(kind)", bad], home: home)
        let submitted = try await cli.swiftlet(["exec", "logs-\(kind)", slow, "-d"], home: home)
        #expect(submitted.code == 0, "\(submitted.stderr)")

        let first = try await cli.swiftlet(["logs", "logs-\(kind)", "1"], home: home)
        #expect(first.code == 0)
        #expect(first.stdout.hasPrefix("(good, pid="))
        #expect(lines(first.stdout) == ["fine"])
        let second = try await cli.swiftlet(["logs", "logs-\(kind)", "2"], home: home)
        #expect(second.code == 100)
        #expect(lines(second.stdout) == ["trying"])
        var running = try await cli.swiftlet(["logs", "logs-\(kind)", "--no-follow"], home: home)
        for _ in 0..<50 where running.stdout.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            running = try await cli.swiftlet(["logs", "logs-\(kind)", "--no-follow"], home: home)
        }
        #expect(running.code == 101)
        #expect(lines(running.stdout) == ["begun"])
        let missing = try await cli.swiftlet(["logs", "logs-\(kind)", "9"], home: home)
        #expect(missing.code == 102)
        #expect(missing.stderr == "error: no job 9 on cluster 'logs-\(kind)'\n")
        let go = kind == .ssh ? Testbed.state + "/h1/root/go-ssh" : home.localNode(cluster: "logs-local", index: 0) + "/go-local"
        try "".write(toFile: go, atomically: true, encoding: .utf8)
        let finished = try await cli.swiftlet(["logs", "logs-\(kind)"], home: home)
        #expect(finished.code == 0)
        unlink(go)
        _ = try await cli.swiftlet(["down", "logs-\(kind)"], home: home)
    }

    @Test func followingResumesAfterACutConnectionWithNoLineLostOrRepeated() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: |\n  for i in $(seq 1 40); do echo line $i; sleep 0.05; done\n", home: home)
        let submitted = try await cli.swiftlet(["launch", task, "-c", "cut", "-d"], home: home)
        #expect(submitted.code == 0)
        // Cut the connection under `logs` twice while it follows: kill the keeper holding it.
        let killer = Task {
            for _ in 0..<2 {
                try await Task.sleep(for: .milliseconds(600))
                let pids = try await TestSupport.shell("cat '\(home.path)'/keep/*.pid 2>/dev/null").output
                for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) where pid > 0 { kill(pid, SIGKILL) }
            }
        }
        let followed = try await cli.swiftlet(["logs", "cut"], home: home)
        try await killer.value
        #expect(followed.code == 0, "\(followed.stderr)")
        #expect(lines(followed.stdout) == (1...40).map { "line \($0)" })
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func cancelStopsEveryProcessTreeOnEveryNode(_ kind: TransportKind) async throws {
        let home = try TestSupport.makeHome()
        let marker = "666.\(Int.random(in: 100...999))"
        // Each rank: a child that ignores SIGTERM, a background child, and a foreground wait.
        let task = try cli.writeTask(
            """
            num_nodes: 2
            run: |
              (trap '' TERM; exec sleep \(marker)) &
              sleep \(marker) &
              echo started
              wait
            """,
            home: home
        )
        var infra = ["--infra", "local"]
        if kind == .ssh {
            try Testbed.installPool("pair", hosts: [3, 4], in: home)
            infra = ["--infra", "ssh/pair"]
        }
        let submitted = try await cli.swiftlet(["launch", task, "-c", "stop-\(kind)", "-d"] + infra, home: home)
        #expect(submitted.code == 0, "\(submitted.stderr)")
        try await TestSupport.waitForProcesses(matching: "^sleep \(marker)", count: 4)
        let cancelled = try await cli.swiftlet(["cancel", "stop-\(kind)"], home: home)
        #expect(cancelled.code == 0)
        #expect(cancelled.stderr == "Job 1: CANCELLED.\n")
        #expect(try await TestSupport.processesLeft(matching: "^sleep \(marker)") == 0)
        let logs = try await cli.swiftlet(["logs", "stop-\(kind)"], home: home)
        #expect(logs.code == 103)
        #expect(lines(logs.stdout) == ["started", "started"])
        _ = try await cli.swiftlet(["down", "stop-\(kind)"], home: home)
    }

    @Test func queueListsEveryJobWithItsState() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("name: first\nrun: echo fine\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "q"], home: home)
        _ = try await cli.swiftlet(["exec", "q", "--", "exit 2"], home: home)
        // Long enough to be running still when a loaded run lists them.
        _ = try await cli.swiftlet(["exec", "q", "-d", "--", "sleep 300"], home: home)
        _ = try await cli.swiftlet(["exec", "q", "-d", "--", "sleep 300"], home: home)
        _ = try await cli.swiftlet(["cancel", "q", "4"], home: home)
        let queue = try await cli.swiftlet(["queue", "q", "--json"], home: home)
        #expect(queue.code == 0, "\(queue.stderr)")
        let jobs = try JSONDecoder().decode([JobControl.JobSummary].self, from: Data(queue.stdout.utf8))
        #expect(jobs.map(\.id) == [4, 3, 2, 1])
        #expect(jobs.map(\.state) == ["CANCELLED", "RUNNING", "FAILED", "SUCCEEDED"])
        #expect(jobs.last?.name == "first")
        #expect(jobs[2].exitCodes == [2])
        // Without an id, as in SkyPilot: the newest job not yet finished (3), not the last (5).
        _ = try await cli.swiftlet(["exec", "q", "--", "true"], home: home)
        let newest = try await cli.swiftlet(["cancel", "q"], home: home)
        #expect(newest.stderr == "Job 3: CANCELLED.\n", "\(newest.stderr)")
        let after = try await cli.swiftlet(["queue", "q", "--json"], home: home)
        let states = try JSONDecoder().decode([JobControl.JobSummary].self, from: Data(after.stdout.utf8)).map(\.state)
        #expect(states == ["SUCCEEDED", "CANCELLED", "CANCELLED", "FAILED", "SUCCEEDED"])
        let none = try await cli.swiftlet(["cancel", "q", "-a"], home: home)
        #expect(none.stderr == "No unfinished jobs on 'q'.\n", "\(none.stderr)")
        _ = try await cli.swiftlet(["down", "q"], home: home)
    }

    @Test func concurrentCommandsOnOneClusterTakeTheirOwnJobIDs() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: echo launched\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "busy"], home: home)
        let cli = self.cli
        let runs = try await withThrowingTaskGroup(of: CommandLineTests.Run.self) { group in
            for index in 1...6 {
                group.addTask { try await cli.swiftlet(["exec", "busy", "--", "echo exec \(index)"], home: home) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.map(\.code) == Array(repeating: 0, count: 6), "\(runs.map(\.stderr))")
        let queue = try await cli.swiftlet(["queue", "busy", "--json"], home: home)
        let jobs = try JSONDecoder().decode([JobControl.JobSummary].self, from: Data(queue.stdout.utf8))
        #expect(jobs.map(\.id) == Array((1...7).reversed()))
        #expect(jobs.allSatisfy { $0.state == "SUCCEEDED" })
        // Each job kept its own log: the six lines, once each.
        var logged: [String] = []
        for id in 2...7 { logged += lines(try await cli.swiftlet(["logs", "busy", "\(id)"], home: home).stdout) }
        #expect(logged.sorted() == (1...6).map { "exec \($0)" })
        let status = try await cli.swiftlet(["status"], home: home)
        #expect(status.stdout.contains("7 SUCCEEDED"), "\(status.stdout)")
        _ = try await cli.swiftlet(["down", "busy"], home: home)
    }

    @Test func tailStartsWithTheLastLinesAndStatusTellsTheState() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: |\n  seq 1 20\n  while [ ! -f ~/go ]; do sleep 0.05; done\n  echo done\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "tail", "-d"], home: home)
        var running = try await cli.swiftlet(["logs", "tail", "--status"], home: home)
        #expect(running.code == 101)
        #expect(running.stdout == "Job 1: RUNNING\n")
        var tail = try await cli.swiftlet(["logs", "tail", "--no-follow", "--tail", "3"], home: home)
        for _ in 0..<50 where lines(tail.stdout) != ["18", "19", "20"] {
            try await Task.sleep(for: .milliseconds(100))
            tail = try await cli.swiftlet(["logs", "tail", "--no-follow", "--tail", "3"], home: home)
        }
        #expect(lines(tail.stdout) == ["18", "19", "20"])
        try "".write(toFile: home.localNode(cluster: "tail", index: 0) + "/go", atomically: true, encoding: .utf8)
        for _ in 0..<100 where running.code != 0 {
            try await Task.sleep(for: .milliseconds(50))
            running = try await cli.swiftlet(["logs", "tail", "--status"], home: home)
        }
        #expect(running.code == 0)
        #expect(running.stdout == "Job 1: SUCCEEDED\n")
        // Of a finished job, --tail shows the last lines and returns.
        let followed = try await cli.swiftlet(["logs", "tail", "--tail", "2"], home: home)
        #expect(followed.code == 0)
        #expect(lines(followed.stdout) == ["20", "done"])
    }

    @Test func aControllerKilledMidRunLosesNothing() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: |\n  for i in $(seq 1 30); do echo line $i; sleep 0.03; done\n", home: home)
        let (process, out) = try cli.startSwiftlet(["launch", task, "-c", "killed"], home: home)
        // Once the job prints, the controller dies without a chance to clean up.
        _ = await BlockingThread.value { try? out.fileHandleForReading.read(upToCount: 1) }
        kill(process.processIdentifier, SIGKILL)
        let logs = try await cli.swiftlet(["logs", "killed"], home: home)
        #expect(logs.code == 0)
        #expect(lines(logs.stdout) == (1...30).map { "line \($0)" })
    }

    @Test func aJobWhoseSupervisorAndDaemonAreKilledIsFailedDriverNotRunning() async throws {
        let home = try TestSupport.makeHome()
        // $PPID is the job's supervisor: killed with the daemon, nothing is left to record the end.
        let task = try cli.writeTask("run: |\n  echo $PPID > ~/agent.pid\n  while :; do echo tick; sleep 0.05; done\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "orphan", "-d"], home: home)
        let pidFile = home.localNode(cluster: "orphan", index: 0) + "/agent.pid"
        var agent = ""
        for _ in 0..<100 where agent.isEmpty {
            agent = (try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            try await Task.sleep(for: .milliseconds(50))
        }
        // Never kill(0, ...): that is this test process's own group.
        let pid = try #require(Int32(agent).flatMap { $0 > 0 ? $0 : nil }, "the job never wrote its agent's pid")
        // The daemon first: alive, it would record the supervisor's death itself.
        let daemon = try #require(DaemonRecord.running(home: home.localNode(cluster: "orphan", index: 0))?.process.pid)
        kill(daemon, SIGKILL)
        kill(pid, SIGKILL)
        // The job dies with its supervisor (its output has nowhere to go); it must not stay RUNNING.
        var state = ""
        for _ in 0..<100 where state != "FAILED_DRIVER" {
            try await Task.sleep(for: .milliseconds(100))
            let queue = try await cli.swiftlet(["queue", "orphan", "--json"], home: home)
            state = (try? JSONDecoder().decode([JobControl.JobSummary].self, from: Data(queue.stdout.utf8)))?.first?.state ?? ""
        }
        #expect(state == "FAILED_DRIVER")
        let logs = try await cli.swiftlet(["logs", "orphan"], home: home)
        #expect(logs.code == 100)
        #expect(logs.stderr.contains("FAILED_DRIVER"))
    }
}

/// Setups are part of their job: a task without a run ends when its setup does, and `logs`
/// shows a job's setup output before its run's, as SkyPilot does, a failed setup's included.
@Suite struct SetupLogsTests {
    let cli = CommandLineTests()

    @Test func aTaskWithoutARunEndsWithItsSetup() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("setup: echo prepared\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", "onlysetup"], home: home)
        #expect(launch.code == 0, "\(launch.stderr)")
        let status = try await cli.swiftlet(["logs", "onlysetup", "1", "--status"], home: home)
        #expect(status.code == 0 && status.stdout == "Job 1: SUCCEEDED\n", "\(status)")
        let logs = try await cli.swiftlet(["logs", "onlysetup", "1"], home: home)
        #expect(logs.code == 0)
        #expect(logs.stdout.hasPrefix("(setup pid=") && logs.stdout.hasSuffix(") prepared\n"), "\(logs.stdout)")
        _ = try await cli.swiftlet(["down", "onlysetup"], home: home)
    }

    @Test func logsShowAFailedSetupsOutput() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("setup: |\n  echo preparing\n  exit 4\nrun: echo never\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", "badsetup"], home: home)
        #expect(launch.code == 100)
        let logs = try await cli.swiftlet(["logs", "badsetup", "1"], home: home)
        #expect(logs.code == 100, "\(logs.stderr)")
        #expect(logs.stdout.hasPrefix("(setup pid=") && logs.stdout.hasSuffix(") preparing\n"), "\(logs.stdout)")
        #expect(!logs.stdout.contains("never"))
        _ = try await cli.swiftlet(["down", "badsetup"], home: home)
    }

    @Test func logsShowTheSetupThenTheRun() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("setup: echo one\nrun: echo two\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "both"], home: home)
        let logs = try await cli.swiftlet(["logs", "both", "1"], home: home)
        let lines = logs.stdout.split(separator: "\n")
        #expect(logs.code == 0 && lines.count == 2, "\(logs.stdout)")
        #expect(lines.first?.hasPrefix("(setup pid=") == true && lines.first?.hasSuffix(") one") == true)
        #expect(lines.last?.hasPrefix("(task, pid=") == true && lines.last?.hasSuffix(") two") == true)
        _ = try await cli.swiftlet(["down", "both"], home: home)
    }
}

extension SetupLogsTests {
    @Test func aFailedCommandWithoutASetupShowsItsOutput() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: echo up\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "nosetup"], home: home)
        let failed = try await cli.swiftlet(["exec", "nosetup", "--", "echo said; exit 2"], home: home)
        #expect(failed.code == 2)
        let logs = try await cli.swiftlet(["logs", "nosetup", "2"], home: home)
        #expect(logs.code == 100 && logs.stdout.hasSuffix(") said\n"), "\(logs)")
        _ = try await cli.swiftlet(["down", "nosetup"], home: home)
    }
}

/// The sizes a real task reaches: a long `run:` runs (from a file on the node), an absurd one is
/// refused before anything is taken.
@Suite struct LongCommandTests {
    let cli = CommandLineTests()

    @Test func aRunSectionLongerThanAnArgumentMayBeRuns() async throws {
        let home = try TestSupport.makeHome()
        let filler = String(repeating: "# " + String(repeating: "x", count: 98) + "\n", count: 2_000)
        let body = (filler + "echo long-done\n").split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        let task = try cli.writeTask("run: |\n" + body + "\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", "long"], home: home)
        #expect(launch.code == 0, "\(launch.stderr)")
        #expect(launch.stdout.hasSuffix(") long-done\n"))
        _ = try await cli.swiftlet(["down", "long"], home: home)
    }

    @Test func aTaskTooLargeForARequestIsRefusedBeforeAJobIsTaken() async throws {
        let home = try TestSupport.makeHome()
        _ = try await cli.swiftlet(["launch", try cli.writeTask("run: echo up\n", home: home), "-c", "huge"], home: home)
        let filler = String(repeating: "  # " + String(repeating: "y", count: 96) + "\n", count: 12_000)
        let task = try cli.writeTask("run: |\n" + filler + "  echo never\n", home: home, name: "huge.yaml")
        let run = try await cli.swiftlet(["exec", "huge", task], home: home)
        #expect(run.code != 0 && run.stderr.contains("at most 960 KiB fit"), "\(run.stderr)")
        let queue = try await cli.swiftlet(["queue", "huge", "--json"], home: home)
        #expect(try JSONDecoder().decode([JobControl.JobSummary].self, from: Data(queue.stdout.utf8)).map(\.id) == [1])
        _ = try await cli.swiftlet(["down", "huge"], home: home)
    }
}

/// Cancel reaches every process of a job, also one that left its session.
@Suite struct EscapedProcessTests {
    let cli = CommandLineTests()

    @Test func cancelReachesAProcessThatCalledSetsid() async throws {
        let home = try TestSupport.makeHome()
        // In a script without job control the background child is no group leader: setsid
        // makes it a session of its own without forking, so $! is the escaped sleep.
        let task = try cli.writeTask("run: |\n  setsid sleep 300 &\n  echo $! > ~/escaped.pid\n  sleep 300\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", "escape", "-d"], home: home)
        #expect(launch.code == 0, "\(launch.stderr)")
        let pidFile = home.localNode(cluster: "escape", index: 0) + "/escaped.pid"
        var escaped: pid_t?
        for _ in 0..<200 where escaped == nil {
            escaped = pid_t(FileSystem.contents(of: pidFile).trimmingCharacters(in: .whitespacesAndNewlines))
            try await Task.sleep(for: .milliseconds(50))
        }
        let pid = try #require(escaped)
        #expect(ProcessIdentity.of(pid) != nil, "the escaped sleep runs")
        let cancel = try await cli.swiftlet(["cancel", "escape", "1"], home: home)
        #expect(cancel.stderr == "Job 1: CANCELLED.\n")
        for _ in 0..<100 where ProcessIdentity.of(pid) != nil { try await Task.sleep(for: .milliseconds(50)) }
        #expect(ProcessIdentity.of(pid) == nil, "the process that left the job's session outlived cancel")
        if ProcessIdentity.of(pid) != nil { kill(pid, SIGKILL) }
        _ = try await cli.swiftlet(["down", "escape"], home: home)
    }
}

/// What the attached side and `status` say agrees with what happened.
@Suite struct TruthfulStateTests {
    let cli = CommandLineTests()

    @Test func aCancelledJobIsToldAsCancelledNotFailed() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: |\n  echo started\n  sleep 300\n", home: home)
        let attached = BackgroundCommand(cli, ["launch", task, "-c", "told"], home: home)
        let log = home.localNode(cluster: "told", index: 0) + "/.swiftlet/jobs/told/1/run.log"
        try await attached.waitUntil("the job's first line") { FileSystem.contents(of: log) == "started\n" }
        let cancel = try await cli.swiftlet(["cancel", "told", "1"], home: home)
        #expect(cancel.stderr == "Job 1: CANCELLED.\n")
        let run = try await attached.value
        #expect(run.code == 103, "\(run.stderr)")
        #expect(run.stderr.contains("Job 1 was cancelled.") && !run.stderr.contains("FAILED"), "\(run.stderr)")
        _ = try await cli.swiftlet(["down", "told"], home: home)
    }

    @Test func statusNeverShowsADetachedJobAsRunning() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: echo quick\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "quick", "-d"], home: home)
        let status = try await cli.swiftlet(["status"], home: home)
        #expect(status.stdout.contains("1 SUBMITTED") && !status.stdout.contains("RUNNING"), "\(status.stdout)")
        _ = try await cli.swiftlet(["down", "quick"], home: home)
    }
}

/// A job's files on a node are never reused: not by a second controller that uses the same
/// cluster name there, nor by a cluster launched again under a name that was taken down.
@Suite struct JobIDTests {
    let cli = CommandLineTests()

    @Test(.enabled(if: Testbed.available))
    func twoControllersNeverShareAJobID() async throws {
        let name = "twin-\(UInt16.random(in: 0...UInt16.max))"
        let (a, b) = (try TestSupport.makeHome(), try TestSupport.makeHome())
        for home in [a, b] { try Testbed.installPool("one", hosts: [2], in: home) }
        let taskA = try cli.writeTask("run: echo from-a\n", home: a)
        let taskB = try cli.writeTask("run: echo from-b\n", home: b)
        let first = try await cli.swiftlet(["launch", taskA, "-c", name, "--infra", "ssh/one"], home: a)
        let second = try await cli.swiftlet(["launch", taskB, "-c", name, "--infra", "ssh/one"], home: b)
        #expect(first.code == 0 && second.code == 0, "\(first.stderr) \(second.stderr)")
        #expect(try await cli.swiftlet(["logs", name, "1"], home: a).stdout.hasSuffix(") from-a\n"))
        #expect(try await cli.swiftlet(["logs", name, "2"], home: b).stdout.hasSuffix(") from-b\n"), "b counted on from a's job")
        // A's next job would be 2, which is b's: refused with why, and b's log is untouched.
        let clash = try await cli.swiftlet(["exec", name, "--", "echo again-a"], home: a)
        #expect(clash.code != 0 && clash.stderr.contains("is another job's"), "\(clash.stderr)")
        #expect(try await cli.swiftlet(["logs", name, "2"], home: b).stdout.hasSuffix(") from-b\n"))
        for home in [a, b] { _ = try await cli.swiftlet(["down", name], home: home) }
    }

    @Test(.enabled(if: Testbed.available))
    func downForgetsTheJobsOnTheNodesAndALostRecordCountsOn() async throws {
        let name = "again-\(UInt16.random(in: 0...UInt16.max))"
        let home = try TestSupport.makeHome()
        try Testbed.installPool("one", hosts: [2], in: home)
        let task = try cli.writeTask("run: echo run-$SKYPILOT_INTERNAL_JOB_ID\n", home: home)
        // A controller that lost its record of the cluster: the next launch counts on.
        _ = try await cli.swiftlet(["launch", task, "-c", name, "--infra", "ssh/one"], home: home)
        try FileManager.default.removeItem(atPath: home.clusters + "/\(name).json")
        let again = try await cli.swiftlet(["launch", task, "-c", name, "--infra", "ssh/one"], home: home)
        #expect(again.code == 0 && again.stdout.hasSuffix(") run-2\n"), "\(again.stdout) \(again.stderr)")
        // `down` takes the jobs' files off the node: a new cluster of the name starts at 1.
        let down = try await cli.swiftlet(["down", name], home: home)
        #expect(down.code == 0 && !down.stderr.contains("warning"), "\(down.stderr)")
        let fresh = try await cli.swiftlet(["launch", task, "-c", name, "--infra", "ssh/one"], home: home)
        #expect(fresh.stdout.hasSuffix(") run-1\n"), "\(fresh.stdout) \(fresh.stderr)")
        _ = try await cli.swiftlet(["down", name], home: home)
    }
}
