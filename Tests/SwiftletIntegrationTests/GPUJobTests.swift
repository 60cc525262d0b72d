import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// GPUs handed to jobs on local nodes whose agent finds a captured machine's GPUs
/// (`SWIFTLET_GPU_ROOT` and a stand-in `nvidia-smi`): the checks, the queue, the allocation by
/// UUID and the environment are the real ones.
@Suite struct GPUJobTests {
    let cli = CommandLineTests()

    /// Four A10Gs (`nvidia-smi-csv_4xA10G_and_L.txt`): the query's rows with the UUIDs its
    /// `nvidia-smi -L` listed, replayed as the agent asks for them.
    static func fourA10Gs() throws -> (machine: CapturedMachine, uuids: [String]) {
        let capture = "nvidia-smi-csv_4xA10G_and_L.txt"
        let rows = try CapturedMachine.capture(capture, section: "--query-gpu").split(separator: "\n").dropFirst()
        let uuids = try CapturedMachine.capture(capture, section: "-L").split(separator: "\n").compactMap { line in
            line.split(separator: " ").last.map { String($0.dropLast()) }
        }
        let csv = zip(rows, uuids).map { row, uuid in
            let fields = row.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return
                "\(fields[0]), \(uuid), \(fields[1]), \(fields[2].split(separator: " ")[0]), 00000000:00:1\(fields[0]).0, 535.104.05, [N/A]"
        }.joined(separator: "\n")
        let machine = try CapturedMachine()
        try machine.device("nvidiactl")
        try machine.tool("nvidia-smi", [("*--query-gpu=*--format=csv,noheader,nounits*", csv)])
        return (machine, uuids)
    }

    func environment(_ machine: CapturedMachine) -> [String: String] {
        ["SWIFTLET_GPU_ROOT": machine.root, "PATH": machine.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
    }

    /// Waits (two minutes at most, for a loaded CI machine) until `condition` holds.
    func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw ControllerError("waited 120 s for \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func queue(_ cluster: String, home: SwiftletHome) async throws -> [JobControl.JobSummary] {
        let run = try await cli.swiftlet(["queue", cluster, "-a", "--json"], home: home)
        return try JSONDecoder().decode([JobControl.JobSummary].self, from: Data(run.stdout.utf8))
    }

    func gpus(_ cluster: String, home: SwiftletHome, environment: [String: String]) async throws -> [NodeInspection.GPU] {
        let run = try await cli.swiftlet(["gpus", cluster, "--json"], home: home, environment: environment)
        #expect(run.code == 0, "\(run.stderr)")
        return try JSONDecoder().decode([NodeInspection.Node].self, from: Data(run.stdout.utf8)).first?.gpuList ?? []
    }

    @Test func jobsGetTheirOwnGPUsByUUIDAndTheAllocationOutlivesTheDaemon() async throws {
        let (machine, uuids) = try Self.fourA10Gs()
        defer { machine.remove() }
        let home = try TestSupport.makeHome()
        // As a scheduler that granted all four would set it: the setup must not inherit it.
        let env = environment(machine).merging(["CUDA_VISIBLE_DEVICES": uuids.joined(separator: ",")]) { $1 }
        let node = home.localNode(cluster: "a10g", index: 0)
        let task = try cli.writeTask(
            """
            resources:
              accelerators: A10G:2
            setup: echo "setup=${CUDA_VISIBLE_DEVICES-unset}" > ~/setup-env
            run: |
              echo "$CUDA_VISIBLE_DEVICES $SKYPILOT_NUM_GPUS_PER_NODE" > ~/gpus-$SKYPILOT_INTERNAL_JOB_ID
              while [ ! -f ~/go ]; do sleep 0.05; done
            """,
            home: home
        )
        let launch = try await cli.swiftlet(["launch", task, "-c", "a10g", "-d"], home: home, environment: env)
        #expect(launch.code == 0, "\(launch.stderr)")
        _ = try await cli.swiftlet(["exec", "a10g", task, "-d"], home: home, environment: env)
        let third = try await cli.swiftlet(["exec", "a10g", task, "-d"], home: home, environment: env)
        #expect(third.stderr.contains("the job is PENDING, waiting for 2 GPUs (0 free)"), "\(third.stderr)")
        func file(_ name: String) async throws -> String {
            try await waitUntil("~/\(name) is written") { FileManager.default.fileExists(atPath: node + "/" + name) }
            return FileSystem.contents(of: node + "/" + name).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // The setup sees no GPU variable; each run exactly its two GPUs, by UUID, disjoint.
        #expect(try await file("setup-env") == "setup=unset")
        let first = try await file("gpus-1").split(separator: " ")
        let second = try await file("gpus-2").split(separator: " ")
        #expect(first.last == "2" && second.last == "2")
        let given = [first, second].map { Set(($0.first ?? "").split(separator: ",").map(String.init)) }
        #expect(given[0].count == 2 && given[1].count == 2 && given[0].isDisjoint(with: given[1]), "\(given)")
        #expect(given[0].union(given[1]) == Set(uuids))
        var shown = try await gpus("a10g", home: home, environment: env)
        #expect(shown.map(\.model) == Array(repeating: "A10G", count: 4))
        #expect(shown.map(\.inUse) == [1, 1, 1, 1])
        #expect(shown.map(\.uuid) == uuids)

        // A daemon that dies keeps nothing in memory: its successor finds the running jobs'
        // GPUs by UUID in their records, so a new job waits instead of sharing them.
        let daemon = try #require(DaemonRecord.running(home: node)?.process.pid)
        kill(daemon, SIGKILL)
        let after = try await cli.swiftlet(
            ["exec", "a10g", "-d", "--gpus", "A10G:1", "--", "echo $CUDA_VISIBLE_DEVICES > ~/late"],
            home: home,
            environment: env
        )
        #expect(after.stderr.contains("PENDING, waiting for 1 GPU (0 free)"), "\(after.stderr)")
        shown = try await gpus("a10g", home: home, environment: env)
        #expect(shown.map(\.inUse) == [1, 1, 1, 1])
        #expect(FileManager.default.createFile(atPath: node + "/go", contents: nil))
        #expect(uuids.contains(try await file("late")))
        _ = try await cli.swiftlet(["down", "a10g"], home: home)
    }

    /// `A10G:0.5` twice: both run at once, on one GPU.
    @Test func halfAGPUEachShareOne() async throws {
        let (machine, uuids) = try Self.fourA10Gs()
        defer { machine.remove() }
        let home = try TestSupport.makeHome()
        let env = environment(machine)
        let node = home.localNode(cluster: "halves", index: 0)
        let task = try cli.writeTask(
            """
            resources:
              accelerators: A10G:0.5
            run: |
              echo "$CUDA_VISIBLE_DEVICES" > ~/half-$SKYPILOT_INTERNAL_JOB_ID
              while [ ! -f ~/go ]; do sleep 0.05; done
            """,
            home: home
        )
        _ = try await cli.swiftlet(["launch", task, "-c", "halves", "-d"], home: home, environment: env)
        let second = try await cli.swiftlet(["exec", "halves", task, "-d"], home: home, environment: env)
        #expect(!second.stderr.contains("PENDING"), "\(second.stderr)")
        try await waitUntil("both halves run") {
            FileManager.default.fileExists(atPath: node + "/half-1") && FileManager.default.fileExists(atPath: node + "/half-2")
        }
        let first = FileSystem.contents(of: node + "/half-1")
        #expect(first == FileSystem.contents(of: node + "/half-2") && uuids.contains(first.trimmingCharacters(in: .newlines)))
        let shown = try await gpus("halves", home: home, environment: env)
        #expect(shown.map(\.inUse).sorted() == [0, 0, 0, 1])
        #expect(FileManager.default.createFile(atPath: node + "/go", contents: nil))
        _ = try await cli.swiftlet(["down", "halves"], home: home)
    }

    /// `H100:8` on a node with four A10Gs, or `A100:1` on one with none: `launch` fails before
    /// any setup runs, naming the node and what it has, and leaves no cluster.
    @Test func aTaskAskingForGPUsTheNodeLacksFailsBeforeAnythingRuns() async throws {
        let (machine, _) = try Self.fourA10Gs()
        defer { machine.remove() }
        let home = try TestSupport.makeHome()
        func task(_ accelerators: String) throws -> String {
            try cli.writeTask("resources:\n  accelerators: \(accelerators)\nsetup: touch ~/../../setup-ran\nrun: echo ran\n", home: home)
        }
        let wrong = try await cli.swiftlet(["launch", try task("H100:8"), "-c", "wrong"], home: home, environment: environment(machine))
        #expect(wrong.code != 0)
        #expect(
            wrong.stderr.contains("node 0 (local)") && wrong.stderr.contains("the job needs H100:8; this node has A10G:4"),
            "\(wrong.stderr)"
        )
        let none = try await cli.swiftlet(["launch", try task("A100:1"), "-c", "bare"], home: home)
        #expect(none.code != 0)
        #expect(none.stderr.contains("the job needs A100:1; this node has no GPUs"), "\(none.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home.path + "/local/setup-ran"))
        let status = try await cli.swiftlet(["status"], home: home)
        #expect(status.stdout.contains("No clusters"), "\(status.stdout)")
        // Any one of the choices will do: this node has A10Gs.
        let choice = try await cli.swiftlet(
            ["launch", try task("{H100: 1, A10G: 1}"), "-c", "choice"],
            home: home,
            environment: environment(machine)
        )
        #expect(choice.code == 0, "\(choice.stderr)")
        _ = try await cli.swiftlet(["down", "choice"], home: home)
    }
}
