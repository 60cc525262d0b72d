import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

/// The `swiftlet` command as a user runs it, over the local and SSH infra.
@Suite struct CommandLineTests {
    struct Run {
        var code: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `swiftlet` with `arguments` in a private `$SWIFTLET_HOME`, on a thread of its own so
    /// the blocking waits never hold a thread of the (two-thread) cooperative pool.
    /// `environment` adds variables (local nodes' agents inherit them).
    func swiftlet(
        _ arguments: [String],
        home: SwiftletHome,
        stdin: String? = nil,
        keepAlive: Int = 20,
        environment: [String: String] = [:]
    ) async throws -> Run {
        try await BlockingThread.value {
            try runSwiftlet(arguments, home: home, stdin: stdin, keepAlive: keepAlive, environment: environment)
        }
    }

    func runSwiftlet(
        _ arguments: [String],
        home: SwiftletHome,
        stdin: String?,
        keepAlive: Int = 20,
        environment extra: [String: String] = [:]
    ) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.controllerPath)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFTLET_HOME"] = home.path
        environment["SWIFTLET_AGENT_BINARY"] = TestSupport.agentPath
        environment["SWIFTLET_KEEPALIVE"] = String(keepAlive)
        // Never this machine's own ~/.ssh/config.
        environment["SWIFTLET_SSH_CONFIG"] = home.path + "/user-ssh-config"
        process.environment = environment.merging(extra) { _, new in new }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up.
        nonisolated(unsafe) var stderrData = Data()
        let group = DispatchGroup()
        group.enter()
        BlockingThread.start {
            stderrData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(
            code: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self)
        )
    }

    /// Starts `swiftlet` in the background, its stdout on a pipe, for tests that signal it.
    func startSwiftlet(_ arguments: [String], home: SwiftletHome, environment extra: [String: String] = [:]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.controllerPath)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging([
            "SWIFTLET_HOME": home.path, "SWIFTLET_AGENT_BINARY": TestSupport.agentPath, "SWIFTLET_KEEPALIVE": "20",
            "SWIFTLET_SSH_CONFIG": home.path + "/user-ssh-config",
        ]) { _, new in new }.merging(extra) { _, new in new }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    func writeTask(_ text: String, home: SwiftletHome, name: String = "task.yaml") throws -> String {
        let path = home.path + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func infraArguments(_ kind: TransportKind, home: SwiftletHome) throws -> [String] {
        guard kind == .ssh else { return ["--infra", "local"] }
        try Testbed.installPool(in: home)
        return ["--infra", "ssh/testbed"]
    }

    @Test func theHelloExampleLaunchesOnTheLocalInfra() async throws {
        let home = try TestSupport.makeHome()
        let run = try await swiftlet(["launch", TestSupport.packageRoot + "/examples/hello.yaml", "-c", "hello"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("(setup pid=") == true)
        #expect(lines.contains { $0.hasPrefix("(hello, pid=") && $0.hasSuffix(") Hello from Swiftlet on rank 0 of 1") })
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func tasksSeeSkyPilotsEnvironment(_ kind: TransportKind) async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask(
            """
            name: envcheck
            envs:
              MODEL: llama
              EPOCHS: 3
              DEBUG: true
            setup: |
              echo "setup rank=$SKYPILOT_SETUP_NODE_RANK ips=$SKYPILOT_SETUP_NODE_IPS nodes=$SKYPILOT_NUM_NODES cuda=${CUDA_VISIBLE_DEVICES-unset}"
            run: |
              echo "rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES gpus=$SKYPILOT_NUM_GPUS_PER_NODE job=$SKYPILOT_INTERNAL_JOB_ID"
              echo "ips=$SKYPILOT_NODE_IPS"
              echo "task=$SKYPILOT_TASK_ID"
              echo "envs=$MODEL/$EPOCHS/$DEBUG unbuffered=$PYTHONUNBUFFERED user=$SKYPILOT_USER"
              echo "info=$SKYPILOT_CLUSTER_INFO"
              echo "pwd=$(pwd)"
            """,
            home: home
        )
        let run = try await swiftlet(["launch", task, "-c", "envs"] + infraArguments(kind, home: home), home: home)
        #expect(run.code == 0, "\(run.stderr)")
        let ip = kind == .ssh ? "10.213.0.11" : "127.0.0.1"
        let out = run.stdout.split(separator: "\n").map { line in
            String(line[(line.range(of: ") ")?.upperBound ?? line.startIndex)...])
        }
        #expect(out.contains("setup rank=0 ips=\(ip) nodes=1 cuda=unset"))
        #expect(out.contains("rank=0 nodes=1 gpus=0 job=1"))
        #expect(out.contains("ips=\(ip)"))
        #expect(out.contains("envs=llama/3/True unbuffered=1 user=\(NSUserName())"))
        #expect(out.contains { $0.hasPrefix("pwd=") && $0.hasSuffix("/sky_workdir") })
        let taskID = try #require(out.first { $0.hasPrefix("task=") })
        #expect(taskID.wholeMatch(of: /task=sky-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d{6}_envs_1/) != nil)
        let info = try #require(out.first { $0.hasPrefix("info=") }?.dropFirst(5))
        let json = try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any]
        #expect(json?["cluster_name"] as? String == "envs")
        #expect(json?["num_nodes"] as? Int == 1)
        _ = try await swiftlet(["down", "envs"], home: home)
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func aTasksExitCodeIsSkyPilotsAndACommandsItsOwn(_ kind: TransportKind) async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("run: |\n  echo working\n  exit 5\n", home: home)
        let launch = try await swiftlet(["launch", task, "-c", "fails"] + infraArguments(kind, home: home), home: home)
        #expect(launch.code == 100)
        #expect(launch.stderr.contains("rank 0 exited with return code 5 (FAILED)"))
        let exec = try await swiftlet(["exec", "fails", "--", "exit 9"], home: home)
        #expect(exec.code == 9)
        let good = try await swiftlet(["exec", "fails", "--", "true"], home: home)
        #expect(good.code == 0)
        // `exec CLUSTER -- COMMAND` skips ArgumentParser; with an option, or a lone task file
        // after `--`, it is parsed: all three read alike.
        let parsed = try await swiftlet(["exec", "fails", "--num-nodes", "1", "--", "exit 9"], home: home)
        #expect(parsed.code == 9)
        let asTask = try await swiftlet(["exec", "fails", "--", task], home: home)
        #expect(asTask.code == 100 && asTask.stdout.contains("working"))
        // SkyPilot's form: the words after the cluster are a command run as a task.
        let skyPilotForm = try await swiftlet(["exec", "fails", "sh", "-c", "'exit 9'"], home: home)
        #expect(skyPilotForm.code == 100 && skyPilotForm.stderr.contains("exited with return code 9"), "\(skyPilotForm.stderr)")
        let unknown = try await swiftlet(["exec", "nosuch", "--", "true"], home: home)
        #expect(unknown.code == 1 && unknown.stderr.contains("error: no cluster 'nosuch'"), "\(unknown.stderr)")
    }

    @Test func aFailingSetupStopsTheJob() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("setup: exit 3\nrun: echo should-not-run\n", home: home)
        let run = try await swiftlet(["launch", task, "-c", "badsetup"], home: home)
        #expect(run.code == 100, "a failed setup is a failed job, as SkyPilot's exit code says")
        #expect(!run.stdout.contains("should-not-run"))
        #expect(run.stderr.contains("setup failed: rank 0 exited with return code 3 (FAILED_SETUP)."))
    }

    @Test func execPassesStdinAndKeepsStdoutAndStderrApart() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("run: 'true'\n", home: home)
        _ = try await swiftlet(["launch", task, "-c", "pipes"], home: home)
        let run = try await swiftlet(["exec", "pipes", "--", "tr a-z A-Z; echo oops >&2"], home: home, stdin: "quiet\n")
        #expect(run.stdout == "(task, pid=\(pid(in: run.stdout))) QUIET\n")
        #expect(run.stderr.contains("(task, pid=\(pid(in: run.stdout))) oops\n"))
    }

    func pid(in line: String) -> String {
        guard let match = line.firstMatch(of: /pid=(\d+)/) else { return "?" }
        return String(match.1)
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func theWorkdirIsSyncedAndOnlyChangedFilesAreSentAgain(_ kind: TransportKind) async throws {
        let home = try TestSupport.makeHome()
        let workdir = home.path + "/project"
        try FileManager.default.createDirectory(atPath: workdir + "/src", withIntermediateDirectories: true)
        try "print('train')\n".write(toFile: workdir + "/train.py", atomically: true, encoding: .utf8)
        try "v1\n".write(toFile: workdir + "/src/version.txt", atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho tool\n".write(toFile: workdir + "/tool.sh", atomically: true, encoding: .utf8)
        chmod(workdir + "/tool.sh", 0o755)
        let task = try writeTask("workdir: \(workdir)\nrun: |\n  cat train.py src/version.txt\n  ./tool.sh\n", home: home)
        let cluster = "sync-\(kind)"
        // Over SSH on host 5: host 1's ~/sky_workdir is also synced by the multi-node tests.
        if kind == .ssh { try Testbed.installPool("own", hosts: [5], in: home) }
        let infra = kind == .ssh ? ["--infra", "ssh/own"] : ["--infra", "local"]
        let first = try await swiftlet(["launch", task, "-c", cluster] + infra, home: home)
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.stdout.contains("print('train')") && first.stdout.contains("v1") && first.stdout.contains("tool"))
        // Mark the node's copy of train.py: a relaunch must leave unchanged files alone.
        _ = try await swiftlet(
            ["exec", cluster, "--", "echo '# node copy' >> train.py && touch -r src/version.txt train.py && touch -d @0 train.py"],
            home: home
        )
        try "v2\n".write(toFile: workdir + "/src/version.txt", atomically: true, encoding: .utf8)
        let second = try await swiftlet(["launch", task, "-c", cluster], home: home)
        #expect(second.stdout.contains("v2"))
        // train.py differed only in mtime on the node (set to 0), so it was sent again: the
        // node copy matches the local file exactly.
        #expect(!second.stdout.contains("# node copy"))
    }

    @Test func versionIsAFlagAndACommand() async throws {
        let home = try TestSupport.makeHome()
        let flag = try await swiftlet(["--version"], home: home)
        #expect(flag.code == 0, "\(flag.stderr)")
        #expect(flag.stdout == "\(SwiftletVersion.current)\n")
        let command = try await swiftlet(["version"], home: home)
        #expect(command.stdout.hasPrefix("swiftlet \(SwiftletVersion.current)\nagent "))
    }

    /// Subcommands are parsed on their own first (see `Swiftlet.parse(commandLine:)`); help and
    /// errors still come from the whole command line.
    @Test func aSubcommandsHelpAndErrorsNameItUnderSwiftlet() async throws {
        let home = try TestSupport.makeHome()
        let missing = try await swiftlet(["exec"], home: home)
        #expect(missing.code == 2, "usage errors exit 2, as SkyPilot's")
        #expect(missing.stderr.contains("Error: Missing expected argument '<cluster>'"), "\(missing.stderr)")
        #expect(missing.stderr.contains("Usage: swiftlet exec [<options>] <cluster>"), "\(missing.stderr)")
        #expect(missing.stderr.contains("See 'swiftlet exec --help' for more information."))
        let bad = try await swiftlet(["logs", "c", "--tail", "many"], home: home)
        #expect(bad.code == 2)
        #expect(bad.stderr.contains("See 'swiftlet logs --help'"), "\(bad.stderr)")
        let help = try await swiftlet(["launch", "--help"], home: home)
        #expect(help.code == 0)
        #expect(help.stdout.contains("USAGE: swiftlet launch [<options>] [<task>]"), "\(help.stdout)")
    }

    @Test func statusListsClustersAndDownForgetsThem() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("run: echo hi\n", home: home)
        _ = try await swiftlet(["launch", task, "-c", "alpha"], home: home)
        let status = try await swiftlet(["status", "--json"], home: home)
        let clusters = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]]
        #expect(clusters?.map { $0["name"] as? String } == ["alpha"])
        #expect(clusters?.first?["infra"] as? String == "local")
        let down = try await swiftlet(["down", "alpha"], home: home)
        #expect(down.code == 0)
        #expect(try await swiftlet(["status"], home: home).stdout == "No clusters.\n")
        #expect(!FileManager.default.fileExists(atPath: home.localCluster("alpha")))
        let again = try await swiftlet(["down", "alpha"], home: home)
        #expect(again.code == 1)
        #expect(again.stderr == "error: no cluster 'alpha'; see 'swiftlet status'\n")
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func downStopsTheJobsStillRunning(_ kind: TransportKind) async throws {
        let home = try TestSupport.makeHome()
        // Long enough to be running still however loaded the machine is (at 61 s, a loaded full
        // run saw it end by itself before `down` came: nothing was left to cancel).
        let marker = "601.\(Int.random(in: 100...999))"
        let task = try writeTask("run: sleep \(marker)\n", home: home)
        _ = try await swiftlet(["launch", task, "-c", "doomed-\(kind)", "-d"] + infraArguments(kind, home: home), home: home)
        try await TestSupport.waitForProcesses(matching: "^sleep \(marker)$", count: 1)
        let queue = try await swiftlet(["queue", "doomed-\(kind)"], home: home)
        let down = try await swiftlet(["down", "doomed-\(kind)"], home: home)
        #expect(down.code == 0, "\(down.stderr)")
        #expect(down.stderr.contains("Job 1: CANCELLED."), "\(queue.stdout)\(queue.stderr)\(down.stderr)")
        #expect(try await TestSupport.processesLeft(matching: "^sleep \(marker)$") == 0)
    }

    @Test func detachedJobsKeepRunningAfterTheControllerLeaves() async throws {
        let home = try TestSupport.makeHome()
        // The job cannot finish before the test says so, so the controller must have let go of it.
        let task = try writeTask(
            "run: |\n  echo waiting\n  while [ ! -f ~/go ]; do sleep 0.05; done\n  echo finished > ~/done.txt\n",
            home: home
        )
        let run = try await swiftlet(["launch", task, "-c", "bg", "-d"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stderr.contains("Job 1 submitted"))
        let node = home.localNode(cluster: "bg", index: 0)
        try "".write(toFile: node + "/go", atomically: true, encoding: .utf8)
        let marker = node + "/done.txt"
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: marker) && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect((try? String(contentsOfFile: marker, encoding: .utf8)) == "finished\n")
        let log = try String(contentsOfFile: node + "/.swiftlet/jobs/bg/1/run.log", encoding: .utf8)
        #expect(log == "waiting\n")
    }

    @Test func anUnknownFieldNamesTheLineAndSuggestsTheKey() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("name: x\nresources:\n  cpus: 2\nsetpu: echo hi\n", home: home)
        let run = try await swiftlet(["launch", task], home: home)
        #expect(run.code == 2)
        #expect(run.stderr.contains("\(task):4:1: unknown field 'setpu'; did you mean 'setup'?"))
    }

    @Test func fieldsSwiftletDoesNotActOnAreNotedOnceAtLaunch() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask(
            "service:\n  replicas: 2\nresources:\n  use_spot: true\n  disk_size: 100\n  image_id: ami-0123456789\nrun: echo hi\n",
            home: home
        )
        let run = try await swiftlet(["launch", task, "-c", "noted"], home: home)
        #expect(run.code == 0)
        let notes = run.stderr.split(separator: "\n").filter { $0.hasPrefix("Note:") }
        // A cloud's machine image is not acted on (a docker: image is: ContainerTests).
        let fields = "service, resources.use_spot, resources.disk_size, resources.image_id"
        #expect(notes == ["Note: \(task): fields not acted on by Swiftlet: \(fields)."])
    }

    @Test func aNullEnvMustBeGiven() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("envs:\n  HF_TOKEN:\nrun: echo \"token=$HF_TOKEN\"\n", home: home)
        let refused = try await swiftlet(["launch", task, "-c", "nullenv"], home: home)
        #expect(refused.code == 2)
        #expect(refused.stderr.contains("HF_TOKEN is null and must be given: add --env HF_TOKEN=VALUE"))
        let given = try await swiftlet(["launch", task, "-c", "nullenv", "--env", "HF_TOKEN=abc"], home: home)
        #expect(given.stdout.hasSuffix(") token=abc\n"))
    }

    /// Local only: the keeper sits in front of every transport alike, and a test-bed host's
    /// daemon also serves the other tests running on that host, so its count would race.
    /// Spare lanes off: this is the keeper relaying over its one connection.
    @Test func laterCommandsReuseTheKeptAgentConnection() async throws {
        let kind = TransportKind.local
        let home = try TestSupport.makeHome()
        let relayOnly = ["SWIFTLET_LANES": "0"]
        let task = try writeTask("run: echo up\n", home: home)
        // A keeper that outlasts a slow run (20 s idle is the tests' default): it must still be
        // the one serving the later commands.
        let patient = 300
        _ = try await swiftlet(
            ["launch", task, "-c", "kept"] + infraArguments(kind, home: home),
            home: home,
            keepAlive: patient,
            environment: relayOnly
        )
        // The node's daemon counts the controller connections it served.
        func served() async throws -> Int {
            let status = try await swiftlet(["status", "kept", "--json"], home: home, keepAlive: patient, environment: relayOnly)
            let nodes = try JSONDecoder().decode([NodeInspection.Node].self, from: Data(status.stdout.utf8))
            return try #require(nodes.first?.connectionsServed, "\(status.stderr)")
        }
        let before = try await served()
        let first = try await swiftlet(["exec", "kept", "--", "echo up"], home: home, keepAlive: patient, environment: relayOnly)
        let second = try await swiftlet(["exec", "kept", "--", "echo up"], home: home, keepAlive: patient, environment: relayOnly)
        #expect(first.code == 0 && second.code == 0)
        let afterKept = try await served()
        #expect(afterKept == before, "kept connection: no new one (served \(before), then \(afterKept))")
        // Without keeping, every command brings its own connection (and agent relay) up.
        _ = try await swiftlet(["exec", "kept", "--", "echo up"], home: home, keepAlive: 0)
        let afterUnkept = try await served()
        #expect(afterUnkept == before + 1, "served \(before), then \(afterUnkept)")
        _ = try await swiftlet(["down", "kept"], home: home)
    }

    /// With a spare lane ready, a command talks to the node's agent itself: the keeper that
    /// handed it the lane can die mid-run and the command goes on to its end without a hitch.
    @Test(arguments: [TransportKind.local, .ssh])
    func aCommandOnASpareLaneDoesNotNeedTheKeeper(_ kind: TransportKind) async throws {
        guard kind.usable else { return }
        let home = try TestSupport.makeHome()
        let task = try writeTask("run: echo up\n", home: home)
        let cluster = "lane-\(kind)"
        // A keeper that outlasts a slow run (20 s idle is the tests' default): it must still be
        // there to be killed.
        _ = try await swiftlet(["launch", task, "-c", cluster] + infraArguments(kind, home: home), home: home, keepAlive: 300)
        let keeperPID = try #require(
            try FileManager.default.contentsOfDirectory(atPath: home.path + "/keep").first { $0.hasSuffix(".sock.pid") }
                .flatMap { Int32(try String(contentsOfFile: home.path + "/keep/" + $0, encoding: .utf8)) }
        )
        // The lane opens in the background once the keeper is quiet: its transport is the
        // keeper's child; then a moment for the hellos.
        for _ in 0..<300 where try await TestSupport.shell("pgrep -P \(keeperPID) -f -- --lane").code != 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .milliseconds(500))
        let marker = "2.\(Int.random(in: 100...999))"
        async let run = swiftlet(["exec", cluster, "--", "sleep \(marker); echo after the keeper"], home: home)
        // Once the job runs, the command holds its connection: the keeper can go.
        try await TestSupport.waitForProcesses(matching: "^sleep \(marker)$", count: 1)
        let keeperLog =
            (try? FileManager.default.contentsOfDirectory(atPath: home.path + "/keep"))?
            .filter { $0.hasSuffix(".log") }
            .compactMap { try? String(contentsOfFile: home.path + "/keep/" + $0, encoding: .utf8) }.joined() ?? ""
        #expect(kill(keeperPID, SIGKILL) == 0, "the keeper that took the launch is gone: \(keeperLog)")
        let finished = try await run
        #expect(finished.code == 0, "\(finished.stderr)")
        #expect(finished.stdout.hasSuffix(") after the keeper\n"))
        // Through the keeper's relay it would get there too, but only by reconnecting.
        #expect(!finished.stderr.contains("connection was lost"), "\(finished.stderr)")
        _ = try await swiftlet(["down", cluster], home: home)
    }

    @Test func aKilledNodeDaemonNeitherEndsNorCutsAnAttachedJob() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("run: echo up\n", home: home)
        _ = try await swiftlet(["launch", task, "-c", "lost"], home: home)
        let node = home.localNode(cluster: "lost", index: 0)
        // The node's daemon is killed while a job runs: the connection goes with it, the
        // controller reconnects (a new daemon starts) and reads on from the job's log, which its
        // supervisor kept writing; the job's own exit code comes back.
        let script = "echo before; touch ~/started; while [ ! -f ~/go ]; do sleep 0.05; done; echo after; exit 3"
        async let killed = swiftlet(["exec", "lost", "--", script], home: home)
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: node + "/started") {
            try await Task.sleep(for: .milliseconds(50))
        }
        let daemon = try #require(DaemonRecord.running(home: node)?.process.pid)
        kill(daemon, SIGKILL)
        #expect(FileManager.default.createFile(atPath: node + "/go", contents: nil))
        let run = try await killed
        #expect(run.code == 3, "\(run.stderr)")
        #expect(run.stderr.contains("the connection was lost; reconnecting"), "\(run.stderr)")
        #expect(run.stdout.components(separatedBy: ") before\n").count == 2, "\(run.stdout)")
        #expect(run.stdout.hasSuffix(") after\n"), "\(run.stdout)")
        let next = try await swiftlet(["exec", "lost", "--", "echo back"], home: home)
        #expect(next.code == 0)
        #expect(next.stdout.hasSuffix(") back\n"))
        _ = try await swiftlet(["down", "lost"], home: home)
    }

    @Test func ctrlCDetachesAndTheJobGoesOn() async throws {
        let home = try TestSupport.makeHome()
        let task = try writeTask("run: |\n  echo started\n  while [ ! -f ~/go ]; do sleep 0.05; done\n  echo after-detach\n", home: home)
        let (process, out) = try startSwiftlet(["launch", task, "-c", "ctrlc"], home: home)
        // Wait for the job's first line, then press Ctrl-C.
        let firstLine = await BlockingThread.value {
            var line = Data()
            while let byte = try? out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
            return String(decoding: line, as: UTF8.self)
        }
        #expect(firstLine.hasSuffix(") started"))
        process.interrupt()
        let code = await BlockingThread.value {
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(code == 130)
        let node = home.localNode(cluster: "ctrlc", index: 0)
        try "".write(toFile: node + "/go", atomically: true, encoding: .utf8)
        let log = node + "/.swiftlet/jobs/ctrlc/1/run.log"
        let deadline = Date().addingTimeInterval(20)
        while (try? String(contentsOfFile: log, encoding: .utf8)) != "started\nafter-detach\n" && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "started\nafter-detach\n")
    }
}

/// Values given on the command line: SkyPilot's `--secret KEY` (out of sight of ps), names that
/// are variables' names, and a secret's value never in an error.
@Suite struct CommandLineValueTests {
    let cli = CommandLineTests()

    @Test func aSecretNamedAloneComesFromTheEnvironmentAndIsNeverEchoed() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("secrets:\n  TOKEN: null\nrun: echo \"token has ${#TOKEN} characters\"\n", home: home)
        let run = try await cli.swiftlet(
            ["launch", task, "-c", "secret", "--secret", "TOKEN"],
            home: home,
            environment: ["TOKEN": "s3cr3t-value"]
        )
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.hasSuffix(") token has 12 characters\n"))
        let missing = try await cli.swiftlet(["launch", task, "-c", "secret", "--secret", "ABSENT_TOKEN"], home: home)
        #expect(missing.code != 0 && missing.stderr.contains("ABSENT_TOKEN is not set in this environment"), "\(missing.stderr)")
        let malformed = try await cli.swiftlet(["launch", task, "-c", "secret", "--secret", "=hunter2-value"], home: home)
        #expect(malformed.code != 0)
        #expect(!malformed.stderr.contains("hunter2"), "a malformed --secret echoed its value: \(malformed.stderr)")
        _ = try await cli.swiftlet(["down", "secret"], home: home)
    }

    /// Bytes that are not UTF-8 are refused by name, never passed on with their bytes replaced
    /// (the shell makes the raw bytes: Swift's own strings cannot hold them).
    @Test func valuesThatAreNotUTF8AreRefusedNotReplaced() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("envs:\n  X: null\nrun: echo hi\n", home: home)
        let environment = ["SWIFTLET_HOME": home.path, "SWIFTLET_AGENT_BINARY": TestSupport.agentPath, "BIN": TestSupport.controllerPath]
        let argument = try await TestSupport.shell(
            "\"$BIN\" exec nowhere -- echo \"$(printf 'a\\377b')\"; echo \"exit $?\"",
            environment: environment
        )
        #expect(argument.output.contains("argument 5 is not UTF-8 text: a\\xffb"), "\(argument.output)")
        #expect(argument.output.hasSuffix("exit 2\n"))
        let variable = try await TestSupport.shell(
            "X=\"$(printf 'v\\377')\" \"$BIN\" launch '\(task)' -c raw --env X; echo \"exit $?\"",
            environment: environment
        )
        #expect(variable.output.contains("--env X: the value of X in this environment is not UTF-8 text"), "\(variable.output)")
        #expect(variable.output.hasSuffix("exit 2\n"), "\(variable.output)")
        #expect(try await cli.swiftlet(["status"], home: home).stdout == "No clusters.\n")
    }

    @Test func namesThatAreNoVariablesAreRefused() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: echo hi\n", home: home)
        let spaced = try await cli.swiftlet(["launch", task, "-c", "names", "--env", "A B=1"], home: home)
        #expect(spaced.code != 0 && spaced.stderr.contains("--env expects KEY=VALUE or KEY"), "\(spaced.stderr)")
        let yaml = try cli.writeTask("envs:\n  \"A=B\": 1\nrun: echo hi\n", home: home, name: "bad-env.yaml")
        let run = try await cli.swiftlet(["launch", yaml, "-c", "names"], home: home)
        // Refused as SkyPilot's schema refuses it, at its line.
        #expect(run.code != 0 && run.stderr.contains("bad-env.yaml:2:3: The `envs` field contains invalid keys: 'A=B'"), "\(run.stderr)")
        #expect(try await cli.swiftlet(["status"], home: home).stdout == "No clusters.\n")
    }
}

/// A workdir syncs with rsync -a's semantics for links: a link stays a link (a link to a secret
/// file never uploads the file), a linked directory is not walked, and what cannot be sent is
/// named, not dropped silently.
@Suite struct WorkdirLinkTests {
    let cli = CommandLineTests()

    @Test func symlinksStayLinksAndSpecialFilesAreNamed() async throws {
        let home = try TestSupport.makeHome()
        let outside = home.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside + "/dir", withIntermediateDirectories: true)
        try "top secret\n".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
        try "inner\n".write(toFile: outside + "/dir/inner.txt", atomically: true, encoding: .utf8)
        let workdir = home.path + "/work"
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        try "plain\n".write(toFile: workdir + "/plain.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: workdir + "/secret-link", withDestinationPath: outside + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: workdir + "/dir-link", withDestinationPath: outside + "/dir")
        try FileManager.default.createSymbolicLink(atPath: workdir + "/relative-link", withDestinationPath: "plain.txt")
        #expect(mkfifo(workdir + "/pipe", 0o600) == 0)
        let task = try cli.writeTask("workdir: \(workdir)\nrun: ls -l; cat relative-link\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "links"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stderr.contains("not synced (neither a file, a directory nor a link): pipe"), "\(run.stderr)")
        let node = home.localNode(cluster: "links", index: 0) + "/sky_workdir"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: node + "/secret-link") == outside + "/secret.txt")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: node + "/dir-link") == outside + "/dir")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: node + "/relative-link") == "plain.txt")
        #expect(run.stdout.hasSuffix(") plain\n"), "a relative link resolves on the node")
        // Synced again, nothing changed is sent again, links included.
        let again = try await cli.swiftlet(["exec", "links", task], home: home)
        #expect(again.code == 0)
        _ = try await cli.swiftlet(["down", "links"], home: home)
    }

    @Test func aSparseFileStaysSparseOnTheNode() async throws {
        let home = try TestSupport.makeHome()
        let workdir = home.path + "/work"
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        // 64 MiB with 8 KiB of data in the middle and a hole at the end.
        let made = try await TestSupport.shell(
            "cd '\(workdir)' && truncate -s 64M sparse.bin && printf 'middle%.0s' $(seq 1 1400) | dd of=sparse.bin bs=4096 seek=4096 conv=notrunc 2>/dev/null"
        )
        #expect(made.code == 0, "\(made.output)")
        let task = try cli.writeTask("workdir: \(workdir)\nrun: cmp sparse.bin '\(workdir)/sparse.bin' && echo same\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "sparse"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.hasSuffix(") same\n"), "\(run.stdout)")
        var info = stat()
        #expect(stat(home.localNode(cluster: "sparse", index: 0) + "/sky_workdir/sparse.bin", &info) == 0)
        #expect(info.st_size == 64 << 20)
        #expect(Int(info.st_blocks) * 512 < 1 << 20, "the node's copy takes \(Int(info.st_blocks) * 512) bytes of disk")
        _ = try await cli.swiftlet(["down", "sparse"], home: home)
    }

    @Test func aNameThatIsNotUTF8IsNamedNotDroppedSilently() async throws {
        let home = try TestSupport.makeHome()
        let workdir = home.path + "/work"
        try FileManager.default.createDirectory(atPath: workdir + "/sub", withIntermediateDirectories: true)
        try "kept\n".write(toFile: workdir + "/sub/kept.txt", atomically: true, encoding: .utf8)
        let made = try await TestSupport.shell("cd '\(workdir)/sub' && echo raw > \"$(printf 'caf\\351.txt')\"")
        #expect(made.code == 0, "\(made.output)")
        let task = try cli.writeTask("workdir: \(workdir)\nrun: cat sub/kept.txt; ls sub | wc -l\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "latin1"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stderr.contains("not synced (the name is not UTF-8 text): sub/caf\\xe9.txt"), "\(run.stderr)")
        #expect(run.stdout.contains(") kept\n") && run.stdout.hasSuffix(") 1\n"), "\(run.stdout)")
        // `down` removes a node's files whatever their names (a job made one that is not UTF-8).
        let node = home.localNode(cluster: "latin1", index: 0)
        let raw = "cd ~/.swiftlet/jobs/latin1/1 && echo x > \"$(printf 'b\\377d')\""
        #expect(try await cli.swiftlet(["exec", "latin1", "--", raw], home: home).code == 0)
        #expect(try await cli.swiftlet(["down", "latin1"], home: home).code == 0)
        #expect(!FileManager.default.fileExists(atPath: node + "/.swiftlet/jobs/latin1"))
    }
}
