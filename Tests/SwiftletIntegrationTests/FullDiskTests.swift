import Foundation
import SwiftletController
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A node whose disk fills while a job runs (its home on a small tmpfs): the job still ends in
/// a final state, its log says where it stops and why, a job that cannot be recorded does not
/// run, and `cancel` says only what happened.
@Suite struct FullDiskTests {
    let cli = CommandLineTests()
    let durable = DurableRuntimeTests()

    @Test(.enabled(if: getuid() == 0, "mounting file systems needs root"))
    func aFullDiskEndsInAFinalStateWithTheCutNamed() async throws {
        let home = try TestSupport.makeHome()
        let node = home.localNode(cluster: "full", index: 0)
        try FileManager.default.createDirectory(atPath: node, withIntermediateDirectories: true)
        let mounted = try await TestSupport.shell("mount -t tmpfs -o size=48m swiftlet-full '\(node)'")
        try #require(mounted.code == 0, "mount failed: \(mounted.output)")
        defer { _ = try? TestSupport.shellBlocking("umount -l '\(node)'") }

        // An attached job fills the disk, then prints more than the log's last page holds: its
        // output still arrives, and it ends.
        let filler = try cli.writeTask("run: echo start; head -c 100000000 /dev/zero > ~/fill; seq 1 200000; echo after-fill\n", home: home)
        let run = try await cli.swiftlet(["launch", filler, "-c", "full"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains(") after-fill\n"), "\(run.stdout)")
        // The job's stderr (head's complaint) and the node's word on the log come with its output.
        #expect(run.stdout.contains("job 1's run log on the node stops at byte"), "\(run.stdout)")
        #expect(run.stdout.contains("No space left on device"), "\(run.stdout)")
        #expect(try await durable.queue("full", home: home).map(\.state) == ["SUCCEEDED"])

        // `logs` ends, and says where the log stops.
        let logs = try await cli.swiftlet(["logs", "full", "1"], home: home)
        #expect(logs.stdout.contains(") start\n") && !logs.stdout.contains("after-fill"), "\(logs.stdout)")
        #expect(logs.stderr.contains("job 1's run log on the node stops at byte"), "\(logs.stderr)")

        // A job that cannot be recorded does not run.
        let refused = try await cli.swiftlet(["exec", "full", "--", "touch ~/ran"], home: home)
        #expect(refused.code != 0)
        #expect(refused.stderr.contains("cannot record job 2 on this node, so it did not run"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: node + "/ran"))

        // With room again, a job fills the disk while it runs; cancel stops it and says so truly.
        #expect(unlink(node + "/fill") == 0)
        let sleeper = try cli.writeTask(
            "run: echo two; head -c 100000000 /dev/zero > ~/fill; touch ~/filled; sleep 601\n",
            home: home,
            name: "sleeper.yaml"
        )
        let detached = try await cli.swiftlet(["launch", sleeper, "-c", "full", "-d"], home: home)
        #expect(detached.code == 0, "\(detached.stderr)")
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: node + "/filled") {
            try await Task.sleep(for: .milliseconds(100))
        }
        let jobs = try await durable.queue("full", home: home)
        let sleeping = try #require(jobs.first)  // newest first
        #expect(sleeping.state == "RUNNING", "\(jobs) \(detached.stderr)")
        let cancel = try await cli.swiftlet(["cancel", "full", String(sleeping.id)], home: home)
        #expect(cancel.code == 0, "\(cancel.stderr)")
        #expect(try await durable.queue("full", home: home).map(\.state) == ["CANCELLED", "SUCCEEDED"])
        #expect(try await TestSupport.processesLeft(matching: "^sleep 601") == 0)
        #expect(try await cli.swiftlet(["down", "full"], home: home).code == 0)
    }
}
