import Foundation
import SwiftletController
import Testing

/// Cut transports on host 7 (its alone, one test at a time: cutting it cuts every session):
/// the job goes on on the node, and the controller reconnects and reads on from where it was.
@Suite(.serialized, .enabled(if: Testbed.available)) struct TransportCutTests {
    let cli = CommandLineTests()

    /// Kills every ssh session process on host 7, keeping its sshd listener; returns how many.
    func cutSSHSessions() async throws -> Int {
        let cut = try await TestSupport.shell(
            """
            n=0
            for p in $(ip netns pids swl-h7); do
              [ "$p" = "$(cat \(Testbed.state)/h7/sshd.pid)" ] && continue
              # A process may be gone by now: its cmdline then reads as nothing.
              case "$( (tr '\\0' ' ' < /proc/$p/cmdline) 2>/dev/null)" in sshd:*) kill -9 $p 2>/dev/null && n=$((n+1));; esac
            done
            echo $n
            """
        )
        return Int(cut.output.split(separator: "\n").last ?? "") ?? 0
    }

    /// Lines of `output` with `marker`, prefixes stripped.
    func numbers(_ output: String, marker: String) -> [Int] {
        output.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: marker + " ") else { return nil }
            return Int(line[range.upperBound...])
        }
    }

    @Test(.enabled(if: Testbed.available))
    func aCutTransportDoesNotStopTheJobAndLogsCatchUp() async throws {
        let home = try TestSupport.makeHome()
        // Host 7 is this test's alone: every ssh session to it gets cut.
        try Testbed.installPool("solo", hosts: [7], in: home)
        let marker = "cut-\(Int.random(in: 1000...9999))"
        let task = try cli.writeTask("run: |\n  for i in $(seq 1 30); do echo \(marker) $i; sleep 0.05; done\n", home: home)
        let submitted = try await cli.swiftlet(["launch", task, "-c", "cut", "--infra", "ssh/solo", "-d"], home: home)
        #expect(submitted.code == 0, "\(submitted.stderr)")
        // Cut every ssh session to host 7 (its sshd listener stays): the agent loses its
        // connection, the job goes on.
        #expect(try await cutSSHSessions() > 0, "no ssh session to cut")
        let logs = try await cli.swiftlet(["logs", "cut"], home: home)
        #expect(logs.code == 0, "\(logs.stderr)")
        #expect(JobLogsTests().lines(logs.stdout) == (1...30).map { "\(marker) \($0)" })
    }

    @Test func anAttachedLaunchReconnectsAfterItsSSHSessionsAreCut() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("solo", hosts: [7], in: home)
        let marker = "resume-\(Int.random(in: 1000...9999))"
        // Host 7's /tmp is this machine's: the job says when it is halfway, and waits for a go.
        let ready = "/tmp/\(marker).ready"
        let go = "/tmp/\(marker).go"
        defer { try? FileManager.default.removeItem(atPath: ready); try? FileManager.default.removeItem(atPath: go) }
        let task = try cli.writeTask(
            """
            run: |
              for i in $(seq 1 50); do echo \(marker) $i; done
              touch \(ready)
              while [ ! -f \(go) ]; do sleep 0.05; done
              for i in $(seq 51 100); do echo \(marker) $i; done
            """,
            home: home
        )
        let launch = BackgroundCommand(cli, ["launch", task, "-c", "resume", "--infra", "ssh/solo"], home: home)
        try await launch.waitUntil("the job's halfway mark") { FileManager.default.fileExists(atPath: ready) }
        #expect(try await cutSSHSessions() > 0, "no ssh session to cut")
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        let run = try await launch.value
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stderr.contains("the connection was lost; reconnecting"))
        #expect(numbers(run.stdout, marker: marker) == Array(1...100), "every line once, in order")
    }

    @Test func anAttachedLaunchRidesOutTheLinkGoingDownAndUp() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("solo", hosts: [7], in: home)
        let marker = "link-\(Int.random(in: 1000...9999))"
        let task = try cli.writeTask("run: |\n  for i in $(seq 1 160); do echo \(marker) $i; sleep 0.25; done\n", home: home)
        let launch = BackgroundCommand(cli, ["launch", task, "-c", "link", "--infra", "ssh/solo"], home: home)
        try await launch.waitForProcesses(matching: "^sleep 0.25$", count: 1)
        try await Task.sleep(for: .seconds(2))
        // No FIN, no RST: packets just stop, longer than ssh's keepalive (3 x 5 s) lets a
        // session live: the session ends, and the controller reconnects once the link is back.
        try await TestSupport.shell("ip -n swl-h7 link set eth0 down")
        try await Task.sleep(for: .seconds(20))
        try await TestSupport.shell("ip -n swl-h7 link set eth0 up")
        let run = try await launch.value
        #expect(run.code == 0, "\(run.stderr)")
        #expect(numbers(run.stdout, marker: marker) == Array(1...160), "every line once, in order")
    }
}
