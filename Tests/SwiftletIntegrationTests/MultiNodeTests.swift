import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

/// `num_nodes: N` over the SSH test bed: ranks, environment, gang fail-fast, lost nodes.
@Suite(.enabled(if: Testbed.available))
struct MultiNodeTests {
    let cli = CommandLineTests()

    /// Lines of `output` whose prefix starts with `start`, without the prefix.
    func lines(_ output: String, from start: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix(start) }.map { line in
            String(line[(line.range(of: ") ")?.upperBound ?? line.startIndex)...])
        }
    }

    @Test func fourRanksSeeTheirRankTheHeadAndOneTaskID() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("four", hosts: [1, 2, 3, 4], in: home)
        let task = try cli.writeTask(
            """
            name: ddp
            num_nodes: 4
            setup: echo "setup $SKYPILOT_SETUP_NODE_RANK of $(echo "$SKYPILOT_SETUP_NODE_IPS" | wc -l)"
            run: |
              MASTER_ADDR=$(echo "$SKYPILOT_NODE_IPS" | head -n1)
              echo "rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES master=$MASTER_ADDR task=$SKYPILOT_TASK_ID"
            """,
            home: home
        )
        let run = try await cli.swiftlet(["launch", task, "-c", "ddp", "--infra", "ssh/four"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        for rank in 1...3 {
            let ip = "10.213.0.\(11 + rank)"
            #expect(run.stdout.contains("(setup pid="), "setup prefix")
            #expect(lines(run.stdout, from: "(setup pid=").contains("setup \(rank) of 4"))
            let worker = lines(run.stdout, from: "(worker\(rank), rank=\(rank), pid=")
            #expect(worker.count == 1)
            #expect(worker.first?.hasPrefix("rank=\(rank) nodes=4 master=10.213.0.11 task=sky-") == true)
            #expect(run.stdout.contains(", ip=\(ip)) rank=\(rank)"))
        }
        let head = lines(run.stdout, from: "(head, rank=0, pid=")
        #expect(head.first?.hasPrefix("rank=0 nodes=4 master=10.213.0.11") == true)
        let taskIDs = Set(run.stdout.split(separator: "\n").compactMap { $0.firstMatch(of: /task=(\S+)/).map { String($0.1) } })
        #expect(taskIDs.count == 1)
        // Progress: each node's agent came up.
        for rank in 0...3 { #expect(run.stderr.contains("node \(rank) (10.213.0.\(11 + rank)): agent up (")) }
    }

    @Test func theFirstFailingRankStopsEveryOtherRanksProcessTree() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("four", hosts: [1, 2, 3, 4], in: home)
        let marker = "181.\(Int.random(in: 100...999))"
        let pattern = "^sleep \(marker)"  // anchored: not the shells whose scripts mention it
        let task = try cli.writeTask(
            """
            num_nodes: 4
            run: |
              if [ "$SKYPILOT_NODE_RANK" = 2 ]; then sleep 0.5; exit 3; fi
              sleep \(marker) & sleep \(marker) & wait
            """,
            home: home
        )
        let started = Date()
        let run = try await cli.swiftlet(["launch", task, "-c", "gang", "--infra", "ssh/four"], home: home)
        // Well before the other ranks' 181 s sleeps could end by themselves (a loaded suite run
        // has taken over 30 s to bring four fresh nodes up, and a loaded CI run 61 s in all).
        #expect(Date().timeIntervalSince(started) < 170)
        #expect(run.code == 100)
        #expect(
            run.stderr.contains(
                "rank 2 on node 2 (10.213.0.13) exited with return code 3 (FAILED). Return codes in rank order: [137, 137, 3, 137]."
            )
        )
        // Not one `sleep` of the other ranks is left (the hosts share this machine's process table).
        #expect(try await TestSupport.processesLeft(matching: pattern) == 0)
    }

    @Test func aDetachedGangFailsFastTooAndKeepsTheCodesInRankOrder() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("three", hosts: [2, 3, 4], in: home)
        let marker = "662.\(Int.random(in: 100...999))"
        let task = try cli.writeTask(
            """
            num_nodes: 3
            run: |
              if [ "$SKYPILOT_NODE_RANK" = 1 ]; then sleep 1; exit 4; fi
              sleep \(marker) & wait
            """,
            home: home
        )
        let submitted = try await cli.swiftlet(["launch", task, "-c", "dgang", "--infra", "ssh/three", "-d"], home: home)
        #expect(submitted.code == 0, "\(submitted.stderr)")
        #expect(submitted.stderr.contains("Job 1 submitted"))
        // The command has returned; the supervisor it left behind stops ranks 0 and 2.
        var job: JobControl.JobSummary?
        // Until every rank ended: the job reads FAILED as soon as rank 1 did.
        for _ in 0..<150 where job?.ended == nil {
            try await Task.sleep(for: .milliseconds(100))
            let queue = try await cli.swiftlet(["queue", "dgang", "--json"], home: home)
            job = try? JSONDecoder().decode([JobControl.JobSummary].self, from: Data(queue.stdout.utf8)).first
        }
        #expect(job?.state == "FAILED")
        #expect(job?.exitCodes == [137, 4, 137])
        #expect(try await TestSupport.processesLeft(matching: "^sleep \(marker)") == 0)
        // The job's description (envs, secrets) is not left on disk.
        #expect(!FileManager.default.fileExists(atPath: DetachedGang.specPath(home: home, cluster: "dgang", job: 1)))
        let log = FileSystem.contents(of: DetachedGang.logPath(home: home, cluster: "dgang", job: 1))
        #expect(
            log.contains("rank 1 on node 1 (10.213.0.13) exited with return code 4 (FAILED). Return codes in rank order: [137, 4, 137].")
        )
        let logs = try await cli.swiftlet(["logs", "dgang", "1", "--status"], home: home)
        #expect(logs.code == 100)
        // The hosts outlive the test: the next run's cluster of this name starts at job 1 again.
        _ = try await cli.swiftlet(["down", "dgang"], home: home)
    }

    @Test func aSetupFailureOnOneNodeStopsTheOthersAndTheRun() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("three", hosts: [1, 2, 3], in: home)
        let task = try cli.writeTask(
            """
            num_nodes: 3
            setup: |
              if [ "$SKYPILOT_SETUP_NODE_RANK" = 1 ]; then exit 7; fi
              sleep 30
            run: echo should-not-run
            """,
            home: home
        )
        let run = try await cli.swiftlet(["launch", task, "-c", "setupfail", "--infra", "ssh/three"], home: home)
        #expect(run.code == 100)
        #expect(run.stderr.contains("setup failed: rank 1 on node 1 (10.213.0.12) exited with return code 7 (FAILED_SETUP)."))
        #expect(!run.stdout.contains("should-not-run"))
    }

    @Test func aNodeThatDiesMidRunIsNamedAndTheOthersStop() async throws {
        let home = try TestSupport.makeHome()
        // Host 6 is this test's alone: everything in its network namespace gets killed.
        try Testbed.installPool("doomed", hosts: [1, 2, 6], in: home)
        let marker = "662.\(Int.random(in: 100...999))"
        let pattern = "^sleep \(marker)"
        let task = try cli.writeTask("num_nodes: 3\nrun: |\n  echo running\n  sleep \(marker)\n", home: home)
        let launch = BackgroundCommand(cli, ["launch", task, "-c", "dies", "--infra", "ssh/doomed"], home: home)
        // Once every rank runs, host 6 dies.
        try await launch.waitForProcesses(matching: pattern, count: 3)
        let killedAt = Date()
        // Every process of host 6 but its sshd listener (kept for later runs) dies at once: all are
        // stopped first, so none (the daemon seeing its job killed, say) can tell anyone.
        try await TestSupport.shell(
            "pids=$(ip netns pids swl-h6 | grep -vx \"$(cat \(Testbed.state)/h6/sshd.pid)\"); "
                + "[ -z \"$pids\" ] || { kill -STOP $pids; kill -9 $pids; } 2>/dev/null; true"
        )
        let run = try await launch.value
        // Noticed, not waited on forever (a loaded full run has taken 15.2 s).
        #expect(Date().timeIntervalSince(killedAt) < 40)
        #expect(run.code == 100)
        #expect(run.stderr.contains("node 2 (10.213.0.16)"))
        #expect(run.stderr.contains("lost"))
        #expect(try await TestSupport.processesLeft(matching: pattern) == 0)
    }

    @Test func execRunsOnEveryNodeOrOnTheFirstK() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("four", hosts: [1, 2, 3, 4], in: home)
        let workdir = home.path + "/code"
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        try "print('hi')\n".write(toFile: workdir + "/train.py", atomically: true, encoding: .utf8)
        let config = home.path + "/config.json"
        try "{\"lr\": 0.1}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let task = try cli.writeTask(
            """
            num_nodes: 4
            workdir: \(workdir)
            file_mounts:
              ~/mounted/config.json: \(config)
            run: echo "$(cat train.py) $(cat ~/mounted/config.json)"
            """,
            home: home
        )
        let launch = try await cli.swiftlet(["launch", task, "-c", "fan", "--infra", "ssh/four"], home: home)
        #expect(launch.code == 0, "\(launch.stderr)")
        #expect(lines(launch.stdout, from: "(").filter { $0 == "print('hi') {\"lr\": 0.1}" }.count == 4, "\(launch.stdout)\(launch.stderr)")
        let all = try await cli.swiftlet(["exec", "fan", "--", "echo $SKYPILOT_NODE_RANK"], home: home)
        #expect(Set(lines(all.stdout, from: "(")) == ["0", "1", "2", "3"])
        let two = try await cli.swiftlet(
            ["exec", "fan", "--num-nodes", "2", "--", "echo $SKYPILOT_NODE_RANK/$SKYPILOT_NUM_NODES"],
            home: home
        )
        #expect(Set(lines(two.stdout, from: "(")) == ["0/2", "1/2"])
        // Rank 0 ends first: the others fail a moment later, so the stop that their failure
        // sets off never races rank 0's own end (each rank's start, under its supervisor, takes
        // its own time).
        let failing = try await cli.swiftlet(
            ["exec", "fan", "--", "[ $SKYPILOT_NODE_RANK = 0 ] || sleep 1; exit $SKYPILOT_NODE_RANK"],
            home: home
        )
        #expect(failing.code != 0)
        #expect(failing.stderr.contains("Return codes in rank order: [0, "))
        _ = try await cli.swiftlet(["down", "fan"], home: home)
    }

    @Test func localClustersHaveManyNodesToo() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("num_nodes: 3\nrun: echo \"$SKYPILOT_NODE_RANK $(pwd)\"\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "trio"], home: home)
        #expect(run.code == 0)
        for rank in 0..<3 {
            #expect(lines(run.stdout, from: "(").contains("\(rank) \(home.localNode(cluster: "trio", index: rank))/sky_workdir"))
        }
    }
}
