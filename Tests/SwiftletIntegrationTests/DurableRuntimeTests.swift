import Foundation
import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The node's daemon: jobs queued for CPUs in order, a job store that survives the daemon's
/// death, and sd_notify under systemd.
@Suite struct DurableRuntimeTests {
    let cli = CommandLineTests()

    func queue(_ cluster: String, home: SwiftletHome) async throws -> [JobControl.JobSummary] {
        let run = try await cli.swiftlet(["queue", cluster, "-a", "--json"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        return try JSONDecoder().decode([JobControl.JobSummary].self, from: Data(run.stdout.utf8))
    }

    /// The node's CPUs, as its daemon counts them.
    func nodeCPUs(_ cluster: String, home: SwiftletHome) async throws -> String {
        let status = try await cli.swiftlet(["status", cluster, "--json"], home: home)
        let nodes = try JSONDecoder().decode([NodeInspection.Node].self, from: Data(status.stdout.utf8))
        return try #require(nodes.first?.cpus).formatted()
    }

    /// Launches a one-node local cluster; returns its node's home and how many CPUs it has.
    func launchOneNode(_ cluster: String, home: SwiftletHome) async throws -> (node: String, cpus: String) {
        let task = try cli.writeTask("run: echo up\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", cluster], home: home)
        #expect(launch.code == 0, "\(launch.stderr)")
        return (home.localNode(cluster: cluster, index: 0), try await nodeCPUs(cluster, home: home))
    }

    @Test func jobsSubmittedBackToBackRunOneAtATimeInOrder() async throws {
        let home = try TestSupport.makeHome()
        // Each job takes every CPU of the node, so they must run one after the other.
        let (node, cpus) = try await launchOneNode("fifo", home: home)
        let count = 100
        let submission = try await ContinuousClock().measure {
            for _ in 1...count {
                let submitted = try await cli.swiftlet(
                    [
                        "exec", "fifo", "-d", "--cpus", cpus, "--",
                        "echo start $SKYPILOT_INTERNAL_JOB_ID >> ~/order; sleep 0.01; echo end $SKYPILOT_INTERNAL_JOB_ID >> ~/order",
                    ],
                    home: home
                )
                #expect(submitted.code == 0, "\(submitted.stderr)")
            }
        }
        print("\(count) jobs submitted back to back: \(submission / count) per job (debug build, under the test load)")
        var jobs: [JobControl.JobSummary] = []
        for _ in 0..<300 {
            jobs = try await queue("fifo", home: home)
            if jobs.allSatisfy({ $0.state == "SUCCEEDED" }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(jobs.count == count + 1)
        #expect(jobs.allSatisfy { $0.state == "SUCCEEDED" && $0.exitCodes == [0] })
        let order = try String(contentsOfFile: node + "/order", encoding: .utf8)
        let expected = (2...count + 1).flatMap { ["start \($0)", "end \($0)"] }
        #expect(order.split(separator: "\n").map(String.init) == expected)
    }

    @Test func aJobWaitsWhileItsCPUsAreTakenAndSaysWhy() async throws {
        let home = try TestSupport.makeHome()
        let (node, cpus) = try await launchOneNode("wait", home: home)
        _ = try await cli.swiftlet(["exec", "wait", "-d", "--cpus", cpus, "--", "while [ ! -f ~/go ]; do sleep 0.05; done"], home: home)
        let second = try await cli.swiftlet(["exec", "wait", "-d", "--cpus", "1", "--", "echo second ran"], home: home)
        #expect(second.stderr.contains("the job is PENDING, waiting for 1 CPUs"))
        #expect(try await queue("wait", home: home).map(\.state) == ["PENDING", "RUNNING", "SUCCEEDED"])
        // More than the node has is refused at once, not queued forever.
        let impossible = try await cli.swiftlet(["exec", "wait", "--cpus", "100000", "--", "true"], home: home)
        #expect(impossible.code != 0)
        #expect(impossible.stderr.contains("the job needs 100000 CPUs; this node has"))
        #expect(FileManager.default.createFile(atPath: node + "/go", contents: nil))
        let logs = try await cli.swiftlet(["logs", "wait", "3"], home: home)
        #expect(logs.code == 0)
        #expect(logs.stdout.contains("second ran"))
    }

    /// GPUs cannot exist here: the node is told it has four (`SWIFTLET_NODE_GPUS`, what a
    /// node whose devices the agent cannot see uses); the allocation and queue are real.
    @Test func jobsGetDistinctGPUsAndWaitWhenNoneAreFree() async throws {
        let home = try TestSupport.makeHome()
        let gpus = ["SWIFTLET_NODE_GPUS": "4"]
        let up = try cli.writeTask("run: echo up\n", home: home, name: "up.yaml")
        _ = try await cli.swiftlet(["launch", up, "-c", "gpus"], home: home, environment: gpus)
        let node = home.localNode(cluster: "gpus", index: 0)
        let task = try cli.writeTask(
            """
            resources:
              accelerators: A100:2
            run: |
              echo "$CUDA_VISIBLE_DEVICES $SKYPILOT_NUM_GPUS_PER_NODE" > ~/gpus-$SKYPILOT_INTERNAL_JOB_ID
              while [ ! -f ~/go ]; do sleep 0.05; done
            """,
            home: home
        )
        for _ in 1...2 { _ = try await cli.swiftlet(["exec", "gpus", task, "-d"], home: home) }
        let third = try await cli.swiftlet(["exec", "gpus", task, "-d"], home: home)
        #expect(third.stderr.contains("the job is PENDING, waiting for 2 GPUs (0 free)"), "\(third.stderr)")
        let status = try await cli.swiftlet(["status", "gpus", "--json"], home: home)
        let state = try #require(try JSONDecoder().decode([NodeInspection.Node].self, from: Data(status.stdout.utf8)).first)
        #expect(state.gpus == 4 && state.freeGPUs == 0 && state.running == 2 && state.pending == 1)
        func visible(_ job: Int) -> String {
            FileSystem.contents(of: node + "/gpus-\(job)").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(Set([visible(2), visible(3)]) == ["0,1 2", "2,3 2"])
        #expect(FileManager.default.createFile(atPath: node + "/go", contents: nil))
        let logs = try await cli.swiftlet(["logs", "gpus", "4"], home: home)
        #expect(logs.code == 0)
        #expect(["0,1 2", "2,3 2"].contains(visible(4)))
        #expect(try await queue("gpus", home: home).map(\.state) == ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"])
    }

    @Test(arguments: [false, true])
    func aGangStartsTogetherWhenOneNodesQueueIsBusy(detached: Bool) async throws {
        let home = try TestSupport.makeHome()
        let cluster = detached ? "gang-d" : "gang"
        let task = try cli.writeTask("num_nodes: 2\nrun: echo up\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", cluster], home: home)
        let cpus = try await nodeCPUs(cluster, home: home)
        let head = home.localNode(cluster: cluster, index: 0)
        let worker = home.localNode(cluster: cluster, index: 1)
        // Node 0's CPUs are taken until the test says go; node 1 is free.
        _ = try await cli.swiftlet(
            ["exec", cluster, "--num-nodes", "1", "-d", "--cpus", cpus, "--", "while [ ! -f ~/go ]; do sleep 0.05; done"],
            home: home
        )
        let gang = Task {
            try await cli.swiftlet(
                ["exec", cluster, "--cpus", cpus] + (detached ? ["-d"] : []) + ["--", "date +%s%N > ~/started"],
                home: home
            )
        }
        // Both nodes hold the gang's job 3 (a loaded machine may take seconds to get there).
        let submitted = [head, worker].map { $0 + "/.swiftlet/jobs/\(cluster)/3/job" }
        for _ in 0..<600 where !submitted.allSatisfy(FileManager.default.fileExists) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(300))
        // Node 1 admitted its rank at once, but the rank waits for the gang.
        #expect(!FileManager.default.fileExists(atPath: worker + "/started"))
        let released = UInt64(Date().timeIntervalSince1970 * 1e9)
        #expect(FileManager.default.createFile(atPath: head + "/go", contents: nil))
        let run = try await gang.value
        #expect(run.code == 0, "\(run.stderr)")
        if detached {
            #expect(run.stderr.contains("Job 3 submitted"))
        } else {
            #expect(run.stderr.contains("node 0 (local): the job is PENDING"))
        }
        // Detached, the background supervisor sends the gang's go.
        var starts: [UInt64] = []
        for _ in 0..<200 where starts.count < 2 {
            starts = [head, worker].compactMap {
                UInt64(FileSystem.contents(of: $0 + "/started").trimmingCharacters(in: .whitespacesAndNewlines))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(starts.count == 2)
        #expect(starts.allSatisfy { $0 >= released }, "both ranks started after node 0 was free")
    }

    /// Two gangs from two controllers, crossed: on node 0 the younger gang's rank came first and
    /// holds the node, on node 1 the older one's. Without an order between them each would wait
    /// for the other forever; the younger one's held rank yields, and both gangs run in turn.
    @Test func crossedGangsDoNotWaitForEachOtherForever() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("num_nodes: 2\nrun: echo up\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "cross"], home: home)
        let milliCPUs = UInt32(try #require(Double(try await nodeCPUs("cross", home: home))) * 1000)
        let connector = try TestSupport.connector(home: home)
        var nodes: [NodeSession] = []
        for index in 0..<2 {
            nodes.append(
                try await connector.connect(to: .local(home: home.localNode(cluster: "cross", index: index)), name: "node \(index)")
            )
        }
        /// One reader of a stream's frames, called from one task at a time.
        final class Frames: @unchecked Sendable {
            var inbound: MuxStream.Inbound
            init(_ inbound: MuxStream.Inbound) { self.inbound = inbound }
        }
        func rank(_ rank: Int, of gang: String, id: UInt32, on node: Int) async throws -> (RemoteProcess, Frames) {
            var request = ExecRequest(
                command: "echo \(gang) \(rank)",
                survivesDisconnect: true,
                job: JobTicket(
                    id: id,
                    cluster: "cross",
                    name: gang,
                    rank: UInt32(rank),
                    step: .run,
                    milliCPUs: milliCPUs,
                    taskID: "sky-2026-11-22-10-00-00-00000\(id)_cross_\(id)"
                )
            )
            request.startsOnGo = true
            let process = try await RemoteProcess.start(request, on: nodes[node])
            return (process, Frames(process.stream.inbound))
        }
        /// The kinds of the next frames, until `last` arrives (nil after 10 s: it never did).
        func frames(_ reader: Frames, until last: FrameKind) async -> [FrameKind]? {
            await withTaskGroup(of: [FrameKind]?.self) { group in
                group.addTask {
                    var kinds: [FrameKind] = []
                    while let frame = await reader.inbound.next() {
                        kinds.append(frame.kind)
                        if frame.kind == last { return kinds }
                    }
                    return nil
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(10))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
        // Job 10 is the older gang, job 11 the younger.
        let (youngOn0, youngOn0Frames) = try await rank(0, of: "young", id: 11, on: 0)
        #expect(await frames(youngOn0Frames, until: .admitted) == [.admitted])
        let (oldOn1, oldOn1Frames) = try await rank(1, of: "old", id: 10, on: 1)
        #expect(await frames(oldOn1Frames, until: .admitted) == [.admitted])
        let (youngOn1, youngOn1Frames) = try await rank(1, of: "young", id: 11, on: 1)
        #expect(await frames(youngOn1Frames, until: .pending) == [.pending])
        // The older gang's rank on node 0 gets the node: the younger rank there yields.
        let (oldOn0, oldOn0Frames) = try await rank(0, of: "old", id: 10, on: 0)
        #expect(await frames(oldOn0Frames, until: .admitted) == [.pending, .admitted])
        #expect(await frames(youngOn0Frames, until: .pending) == [.pending])
        try await oldOn0.go()
        try await oldOn1.go()
        #expect(await frames(oldOn0Frames, until: .exit)?.contains(.started) == true)
        #expect(await frames(oldOn1Frames, until: .exit)?.contains(.started) == true)
        // The older gang is done: the younger is admitted on both nodes, and runs.
        #expect(await frames(youngOn0Frames, until: .admitted) == [.admitted])
        #expect(await frames(youngOn1Frames, until: .admitted) == [.admitted])
        try await youngOn0.go()
        try await youngOn1.go()
        #expect(await frames(youngOn0Frames, until: .exit)?.contains(.started) == true)
        #expect(await frames(youngOn1Frames, until: .exit)?.contains(.started) == true)
        for node in nodes { await node.close() }
        #expect(try await queue("cross", home: home).prefix(2).map(\.state) == ["SUCCEEDED", "SUCCEEDED"])
    }

    /// A step submitted again after it ended (a controller that retried a submission the node
    /// had already run) is refused with why: the job does not run twice into its log, nor does
    /// its record come back to life.
    @Test func aStepThatAlreadyRanIsNotRunAgain() async throws {
        let home = try TestSupport.makeHome()
        let (node, _) = try await launchOneNode("twice", home: home)
        let record = node + "/.swiftlet/jobs/twice/1/job"
        let taskID = try #require(
            FileSystem.contents(of: record).split(separator: "\n").first { $0.hasPrefix("task_id=") }?.dropFirst(8)
        )
        let before = (log: FileSystem.contents(of: node + "/.swiftlet/jobs/twice/1/run.log"), record: FileSystem.contents(of: record))
        let connector = try TestSupport.connector(home: home)
        let session = try await connector.connect(to: .local(home: node), name: "node 0")
        let again = ExecRequest(
            command: "echo up",
            survivesDisconnect: true,
            job: JobTicket(id: 1, cluster: "twice", name: "again", rank: 0, step: .run, taskID: String(taskID))
        )
        let process = try await RemoteProcess.start(again, on: session)
        let failure = await #expect(throws: StreamFailure.self) { _ = try await process.wait { _ in } }
        #expect(failure?.code == .jobIDTaken && failure?.message.contains("already ran") == true, "\(String(describing: failure))")
        await session.close()
        #expect(FileSystem.contents(of: node + "/.swiftlet/jobs/twice/1/run.log") == before.log)
        #expect(FileSystem.contents(of: record) == before.record)
    }

    @Test func aKilledDaemonKeepsItsRunningJobAndFailsOnlyWhatWaited() async throws {
        let home = try TestSupport.makeHome()
        let (node, cpus) = try await launchOneNode("crash", home: home)
        // A quiet job that outlives its daemon, and one waiting behind it.
        let quiet = "echo before; while [ ! -f ~/go ]; do sleep 0.05; done; echo after; exit 4"
        _ = try await cli.swiftlet(["exec", "crash", "-d", "--cpus", cpus, "--", quiet], home: home)
        _ = try await cli.swiftlet(["exec", "crash", "-d", "--cpus", cpus, "--", "echo never"], home: home)
        let daemon = try #require(DaemonRecord.running(home: node)?.process.pid)
        kill(daemon, SIGKILL)
        // The next command starts a new daemon: the waiting job is FAILED_DRIVER (nobody will start
        // it), the running one still RUNNING while its process lives.
        #expect(try await queue("crash", home: home).map(\.state) == ["FAILED_DRIVER", "RUNNING", "SUCCEEDED"])
        #expect(FileManager.default.createFile(atPath: node + "/go", contents: nil))
        var states: [String] = []
        for _ in 0..<100 {
            states = try await queue("crash", home: home).map(\.state)
            if states[1] != "RUNNING" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Its supervisor kept its output and its exit status.
        #expect(states == ["FAILED_DRIVER", "FAILED", "SUCCEEDED"])
        #expect(try await queue("crash", home: home)[1].exitCodes == [4])
        let logs = try await cli.swiftlet(["logs", "crash", "2"], home: home)
        #expect(logs.stdout.contains(") before\n") && logs.stdout.hasSuffix(") after\n"), "\(logs.stdout)")
        #expect(logs.code == 100, "\(logs.stderr)")  // SkyPilot's code for a failed job
        let next = try await cli.swiftlet(["exec", "crash", "--", "echo fine"], home: home)
        #expect(next.code == 0)
        #expect(try await queue("crash", home: home).first?.state == "SUCCEEDED")
    }

    @Test func anUpgradedAgentTakesOverWhileTheOldDaemonFinishesItsJobs() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: echo up\n", home: home)
        // No kept connections: the old daemon's last client leaves with each command.
        _ = try await cli.swiftlet(["launch", task, "-c", "upgrade"], home: home, keepAlive: 0)
        let node = home.localNode(cluster: "upgrade", index: 0)
        _ = try await cli.swiftlet(
            ["exec", "upgrade", "-d", "--", "while [ ! -f ~/go ]; do sleep 0.05; done; echo finished"],
            home: home,
            keepAlive: 0
        )
        func daemonPID() -> Int32? { DaemonRecord.running(home: node)?.process.pid }
        let old = try #require(daemonPID())
        // Another build of the agent (a copy is another binary) relays a connection on the node.
        let newer = home.path + "/newer-agent"
        try TestSupport.copyExecutable(TestSupport.agentPath, to: newer)
        // A keeper's spare lane of that build is served by the daemon that runs: it replaces none.
        let lane = try await TestSupport.shell("sleep 1 | HOME='\(node)' '\(newer)' serve --stdio --lane | head -c 8 | od -An -tx1")
        #expect(lane.output.contains("89 53 57 4c"), "the old daemon answered the lane")
        #expect(daemonPID() == old, "a spare lane replaces no daemon")
        let relayed = try await TestSupport.shell("sleep 1 | HOME='\(node)' '\(newer)' serve --stdio | head -c 8 | od -An -tx1")
        #expect(relayed.output.contains("89 53 57 4c"), "the new daemon answered with the preamble")
        let current = try #require(daemonPID())
        #expect(current != old)
        #expect(kill(old, 0) == 0, "the old daemon stays while its job runs")
        #expect(FileManager.default.createFile(atPath: node + "/go", contents: nil))
        // The old daemon records its job's end, then leaves.
        var record: JobRecord?
        for _ in 0..<100 {
            record = JobRecord(text: FileSystem.contents(of: node + "/.swiftlet/jobs/upgrade/2/job"))
            if record?.state.isFinal == true, kill(old, 0) != 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(record?.state == .succeeded)
        #expect(kill(old, 0) != 0, "the retired daemon exits once idle")
    }

    /// A job waiting in the queue of a daemon that retires is still that daemon's: the one
    /// that takes over leaves it alone, and the old one runs it when its turn comes.
    @Test func aJobWaitingInARetiringDaemonsQueueRunsThere() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: echo up\n", home: home)
        _ = try await cli.swiftlet(["launch", task, "-c", "handover"], home: home, keepAlive: 0)
        let node = home.localNode(cluster: "handover", index: 0)
        let cpus = try await nodeCPUs("handover", home: home)
        let hold = "while [ ! -f ~/go ]; do sleep 0.05; done"
        _ = try await cli.swiftlet(["exec", "handover", "-d", "--cpus", cpus, "--", hold], home: home, keepAlive: 0)
        let waiting = try await cli.swiftlet(["exec", "handover", "-d", "--cpus", cpus, "--", "echo waited"], home: home, keepAlive: 0)
        #expect(waiting.stderr.contains("the job is PENDING"))
        let old = try #require(DaemonRecord.running(home: node)?.process.pid)
        // Another build relays a connection: a new daemon takes over.
        let newer = home.path + "/newer-agent"
        try TestSupport.copyExecutable(TestSupport.agentPath, to: newer)
        _ = try await TestSupport.shell("sleep 1 | HOME='\(node)' '\(newer)' serve --stdio | head -c 8 >/dev/null")
        #expect(DaemonRecord.running(home: node)?.process.pid != old)
        #expect(try await queue("handover", home: home).map(\.state) == ["PENDING", "RUNNING", "SUCCEEDED"])
        #expect(FileManager.default.createFile(atPath: node + "/go", contents: nil))
        var states: [String] = []
        for _ in 0..<100 where states.first != "SUCCEEDED" {
            try await Task.sleep(for: .milliseconds(100))
            states = try await queue("handover", home: home).map(\.state)
        }
        #expect(states == ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"])
        let logs = try await cli.swiftlet(["logs", "handover", "3"], home: home, keepAlive: 0)
        #expect(logs.stdout.contains("waited"))
    }

    @Test func aHomeTooDeepForASocketAddressStillGetsADaemon() async throws {
        // sockaddr_un holds 108 bytes; this node's socket path is longer than that.
        let base = try TestSupport.makeHome().path + "/" + String(repeating: "deep/", count: 20)
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let home = SwiftletHome(path: base)
        let task = try cli.writeTask("run: echo up\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "deep"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("no daemon"))
        let status = try await cli.swiftlet(["status", "deep", "--json"], home: home)
        let nodes = try JSONDecoder().decode([NodeInspection.Node].self, from: Data(status.stdout.utf8))
        #expect(nodes.first?.mode == "daemon")
        #expect((home.localNode(cluster: "deep", index: 0) + "/.swiftlet/run/daemon.sock").utf8.count > 108)
    }

    @Test func theDaemonSpeaksSdNotify() async throws {
        let home = try TestSupport.makeHome().path
        let listener = try #require(DatagramListener(path: home + "/notify.sock"))
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: TestSupport.agentPath)
        daemon.arguments = ["daemon"]
        daemon.environment = [
            "HOME": home, "PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000",
        ]
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }

        // A loaded machine may take seconds to start a debug build: the wait ends when it speaks.
        let ready = try #require(await listener.next(timeout: 60_000))
        #expect(ready.split(separator: "\n").contains("READY=1"))
        // The socket directory is the node user's alone.
        var info = stat()
        #expect(stat(home + "/.swiftlet/run", &info) == 0 && info.st_mode & 0o777 == 0o700)
        var watchdogs = 0
        var status = false
        for _ in 0..<6 {
            let message = try #require(await listener.next(), "the daemon went silent")
            if message.contains("WATCHDOG=1") { watchdogs += 1 }
            if message.contains("STATUS=0 running, 0 pending") { status = true }
        }
        #expect(watchdogs >= 5, "WATCHDOG every 200 ms for WatchdogSec=400ms")
        #expect(status)
        daemon.terminate()
        var stopping = false
        while let message = await listener.next() {
            if message.contains("STOPPING=1") {
                stopping = true
                break
            }
        }
        #expect(stopping)
        let exitCode = await BlockingThread.value {
            daemon.waitUntilExit()
            return daemon.terminationStatus
        }
        #expect(exitCode == 0)
    }
}
