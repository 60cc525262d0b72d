import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The host build's journald entries, received on a socket of the test's own put where journald
/// listens (`/run/systemd/journal/socket`), in a mount namespace of their own.
@Suite struct JournalTests {
    let cli = CommandLineTests()

    static let hostAgent = TestSupport.buildDirectory + "/swiftlet-agent-host"
    static var runnable: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: hostAgent) }

    @Test(.enabled(if: JournalTests.runnable, "needs root (a mount namespace) and the host agent build"))
    func theHostAgentSendsJobEventsToJournaldWithTheirFields() async throws {
        let home = try TestSupport.makeHome()
        let listener = try #require(DatagramListener(path: home.path + "/journal.sock"))
        let task = try cli.writeTask("name: train\nrun: echo hi\n", home: home)
        // In its own mount namespace (a fresh /run, so no journald needs to exist here) the
        // controller, and the node's daemon it starts, see the test's socket as journald's.
        let run = try await TestSupport.shell(
            """
            unshare --mount --propagation private sh -c '
              mount -t tmpfs none /run && mkdir -p /run/systemd/journal && touch /run/systemd/journal/socket &&
              mount --bind "\(listener.path)" /run/systemd/journal/socket &&
              SWIFTLET_HOME="\(home.path)" SWIFTLET_AGENT_BINARY="\(Self.hostAgent)" SWIFTLET_KEEPALIVE=0 \
                "\(TestSupport.controllerPath)" launch "\(task)" -c journal'
            """
        )
        #expect(run.code == 0, "\(run.output)")
        var entries: [String] = []
        while let entry = await listener.next(timeout: 2000) {
            entries.append(entry)
            if entry.contains("SWIFTLET_STATE=SUCCEEDED") { break }
        }
        let ended = try #require(entries.first { $0.contains("SWIFTLET_STATE=SUCCEEDED") }, "\(entries)")
        for field in ["SWIFTLET_CLUSTER=journal", "SWIFTLET_JOB_ID=1", "SWIFTLET_RANK=0", "SWIFTLET_STEP=run", "SWIFTLET_EXIT_CODE=0"] {
            #expect(ended.split(separator: "\n").contains(Substring(field)), "\(field) in \(ended)")
        }
        #expect(ended.contains("MESSAGE=job 1 (train) rank 0 of cluster journal, run: ended: exit code 0"))
        #expect(entries.contains { $0.contains("SWIFTLET_STATE=RUNNING") })
    }
}
