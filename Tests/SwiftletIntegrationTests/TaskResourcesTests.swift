import Foundation
import SwiftletController
import Testing

/// `resources.cpus` and `memory` are acted on, as SkyPilot users expect: checked against each
/// node before a job id is taken, and a task's CPUs held in the node's queue (half a CPU when it
/// names none, as SkyPilot's default demand), while a command after `--` holds none, as ssh.
@Suite struct TaskResourcesTests {
    let cli = CommandLineTests()
    let durable = DurableRuntimeTests()

    @Test func whatANodeCannotHoldIsRefusedNamingTheNode() async throws {
        let home = try TestSupport.makeHome()
        let huge = try cli.writeTask("resources:\n  memory: 100000GB\nrun: echo never\n", home: home)
        let memory = try await cli.swiftlet(["launch", huge, "-c", "fit"], home: home)
        #expect(memory.code != 0, "\(memory.stdout)")
        #expect(memory.stderr.contains("node 0 (local): resources: the job needs 100000 GB of memory; this node has "), "\(memory.stderr)")
        #expect(!memory.stdout.contains("never"))
        #expect(try await cli.swiftlet(["status"], home: home).stdout == "No clusters.\n", "a launch stopped there leaves no cluster")
        let cpus = try await cli.swiftlet(["launch", "-c", "fit", "--cpus", "4096+", "echo never"], home: home)
        #expect(cpus.stderr.contains("resources: the job needs 4096+ CPUs; this node has "), "\(cpus.stderr)")
        let lots = try cli.writeTask("resources:\n  cpus: lots\nrun: echo never\n", home: home)
        let bad = try await cli.swiftlet(["launch", lots, "-c", "fit"], home: home)
        #expect(bad.code != 0 && bad.stderr.contains(":2:9: The \"cpus\" field should be either a number"), "\(bad.stderr)")
        let flag = try await cli.swiftlet(["launch", "-c", "fit", "--memory", "lots", "true"], home: home)
        #expect(flag.code == 2 && flag.stderr.contains("--memory: \"memory\" field should be a number"), "\(flag.stderr)")
        let fits = try await cli.swiftlet(["launch", "-c", "fit", "--cpus", "1", "--memory", "64MB", "echo fits"], home: home)
        #expect(fits.code == 0 && fits.stdout.hasSuffix(") fits\n"), "\(fits.stderr)")
        #expect(try await durable.queue("fit", home: home).first?.cpus == 1)
        _ = try await cli.swiftlet(["down", "fit"], home: home)
    }

    @Test func aTaskHoldsHalfACPUByDefaultAndACommandNone() async throws {
        let home = try TestSupport.makeHome()
        let oneCPU = ["SWIFTLET_NODE_CPUS": "1"]
        let up = try await cli.swiftlet(["launch", "-c", "half"], home: home, environment: oneCPU)
        #expect(up.code == 0, "\(up.stderr)")
        let hold = "while [ ! -f ~/go ]; do sleep 0.05; done"
        for _ in 0..<2 { _ = try await cli.swiftlet(["exec", "half", "-d", hold], home: home) }
        let third = try await cli.swiftlet(["exec", "half", "-d", "echo third ran"], home: home)
        #expect(third.stderr.contains("the job is PENDING, waiting for 0.5 CPUs"), "\(third.stderr)")
        // A command after -- is ssh's: it needs no CPU of the queue, so it runs now.
        let now = try await cli.swiftlet(["exec", "half", "--", "echo right away"], home: home)
        #expect(now.code == 0 && now.stdout.hasSuffix(") right away\n"), "\(now.stderr)")
        #expect(try await durable.queue("half", home: home).prefix(4).map(\.state) == ["SUCCEEDED", "PENDING", "RUNNING", "RUNNING"])
        #expect(FileManager.default.createFile(atPath: home.localNode(cluster: "half", index: 0) + "/go", contents: nil))
        let logs = try await cli.swiftlet(["logs", "half", "4"], home: home)
        #expect(logs.code == 0 && logs.stdout.contains("third ran"), "\(logs.stdout) \(logs.stderr)")
        _ = try await cli.swiftlet(["down", "half"], home: home)
    }
}
