import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

/// `launch -i N [--down]` and `swiftlet autostop`, as SkyPilot users know them: the head node
/// keeps count of the idle minutes (this machine may be off), stops the cluster or tears it
/// down, and its agent leaves; `status` then tells it, and forgets a torn-down cluster.
@Suite struct AutostopTests {
    let cli = CommandLineTests()

    /// Waits until the head node's autostop of `cluster` fired (-i 0 fires at its next check).
    func waitUntilFired(_ cluster: String, home: SwiftletHome) async throws {
        let file = home.localNode(cluster: cluster, index: 0) + "/.swiftlet/autostop/" + cluster
        for _ in 0..<300 {
            if FileSystem.contents(of: file).split(separator: "\n").contains(where: { $0.hasPrefix("fired=") && $0 != "fired=0" }) {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the autostop of \(cluster) never fired: \(FileSystem.contents(of: file))")
    }

    @Test func anIdleClusterIsTornDownAndForgottenAndItsAgentLeaves() async throws {
        let home = try TestSupport.makeHome()
        let launch = try await cli.swiftlet(["launch", "-c", "gone", "-i", "0", "--down", "echo hi"], home: home, keepAlive: 0)
        #expect(launch.code == 0 && launch.stdout.hasSuffix(") hi\n"), "\(launch.stderr)")
        // A connection still open when the autostop fires (here a forward's; under load, the
        // launch's own) must not keep the agent once it closes.
        let (holder, _) = try cli.startSwiftlet(["forward", "gone", "0:9"], home: home, environment: ["SWIFTLET_KEEPALIVE": "0"])
        try await Task.sleep(for: .seconds(2))
        try await waitUntilFired("gone", home: home)
        holder.terminate()
        _ = try await TestSupport.eventually { !holder.isRunning }
        let node = home.localNode(cluster: "gone", index: 0)
        // It checks once a second; a loaded machine may take longer to let it go.
        let daemonLeft = try await TestSupport.eventually { DaemonRecord.running(home: node) == nil }
        #expect(
            daemonLeft,
            "the node's agent stayed after its autostop: \(FileSystem.contents(of: node + "/.swiftlet/run/daemon.log").suffix(2000))"
        )
        #expect(!FileManager.default.fileExists(atPath: node + "/.swiftlet/jobs/gone"), "the job files stayed on the node")
        // A connection that comes later brings a daemon up again: it knows the autostop fired
        // here, and leaves too once that connection is gone.
        let (late, _) = try cli.startSwiftlet(["forward", "gone", "0:9"], home: home, environment: ["SWIFTLET_KEEPALIVE": "0"])
        #expect(try await TestSupport.eventually { DaemonRecord.running(home: node) != nil }, "the late connection found no daemon")
        late.terminate()
        _ = try await TestSupport.eventually { !late.isRunning }
        let leftAgain = try await TestSupport.eventually { DaemonRecord.running(home: node) == nil }
        #expect(leftAgain, "a daemon started after the autostop fired stayed")
        let status = try await cli.swiftlet(["status"], home: home, keepAlive: 0)
        #expect(status.stderr.contains("Cluster 'gone' was torn down by its autostop (idle 0 minutes)."), "\(status.stderr)")
        #expect(status.stdout == "No clusters.\n", "\(status.stdout)")
    }

    @Test func aStoppedClusterShowsStoppedUntilItsNextJob() async throws {
        let home = try TestSupport.makeHome()
        _ = try await cli.swiftlet(["launch", "-c", "rest", "-i", "0", "echo hi"], home: home, keepAlive: 0)
        try await waitUntilFired("rest", home: home)
        let stopped = try await cli.swiftlet(["status", "--json"], home: home, keepAlive: 0)
        let before = try #require(try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [[String: Any]])
        #expect(before.first?["status"] as? String == "STOPPED" && before.first?["autostop"] as? Int == 0, "\(stopped.stdout)")
        #expect(before.first?["to_down"] as? Bool == false && before.first?["nodes"] as? Int == 1)
        // Its next job makes it UP (held, so that -i 0 does not stop it again at once).
        let hold = "while [ ! -f ~/go ]; do sleep 0.1; done"
        let again = try await cli.swiftlet(["exec", "rest", "-d", hold], home: home, keepAlive: 0)
        #expect(again.code == 0, "\(again.stderr)")
        let up = try await cli.swiftlet(["status", "--refresh"], home: home, keepAlive: 0)
        #expect(up.stdout.contains(" UP ") && !up.stdout.contains("STOPPED"), "\(up.stdout) \(up.stderr)")
        #expect(FileManager.default.createFile(atPath: home.localNode(cluster: "rest", index: 0) + "/go", contents: nil))
        // `swiftlet autostop` sets it anew, cancels it, and is told what is wrong.
        let set = try await cli.swiftlet(["autostop", "rest", "-i", "120", "--down"], home: home, keepAlive: 0)
        #expect(set.code == 0 && set.stderr == "Cluster 'rest': autodown after 120 idle minutes.\n", "\(set.stderr)")
        #expect(try await cli.swiftlet(["status"], home: home, keepAlive: 0).stdout.contains("2h (down)"))
        let cancel = try await cli.swiftlet(["autostop", "rest", "--cancel"], home: home, keepAlive: 0)
        #expect(cancel.code == 0 && cancel.stderr.contains("autostop cancelled"), "\(cancel.stderr)")
        let plain = try await cli.swiftlet(["status"], home: home, keepAlive: 0)
        #expect(plain.stdout.contains(" UP ") && !plain.stdout.contains("(down)") && !plain.stdout.contains("2h"), "\(plain.stdout)")
        let both = try await cli.swiftlet(["autostop", "rest", "--cancel", "-i", "3"], home: home)
        #expect(both.code == 2 && both.stderr.contains("either --idle-minutes or --cancel"), "\(both.stderr)")
        let missing = try await cli.swiftlet(["autostop", "nosuch"], home: home)
        #expect(missing.code == 1 && missing.stderr.contains("no cluster 'nosuch'"), "\(missing.stderr)")
        _ = try await cli.swiftlet(["down", "rest"], home: home)
    }
}
