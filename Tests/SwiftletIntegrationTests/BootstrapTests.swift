import Foundation
import NIOCore
@testable import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bringing an agent up on a node: install once, reuse after, and clear errors when it can't.
@Suite struct BootstrapTests {
    let cli = CommandLineTests()

    final class Counter: @unchecked Sendable {
        private let lock = Lock()
        private var count = 0
        func increment() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func installsTheAgentOnceAndReusesIt(_ kind: TransportKind) async throws {
        let home = try TestSupport.makeHome()
        let connector = try TestSupport.connector(home: home)
        // A node of its own: an earlier test's install must not count, and deleting the agent
        // from under a node's daemon must not disturb other tests' connections to it.
        let address: NodeAddress = kind == .local ? kind.address(home: home) : .ssh(Testbed.host(8))
        if kind == .ssh {
            let reset = try await connector.connect(to: address, name: "node")
            _ = try await reset.run("rm -rf ~/.swiftlet/agent/\(connector.binary.sha256)")
            await reset.close()
        }
        let uploads = Counter()
        let first = try await connector.connect(to: address, name: "node", uploaded: { uploads.increment() })
        let installed = try await first.run(
            "ls ~/.swiftlet/agent/\(connector.binary.sha256)/; ls -a ~/.swiftlet/agent/\(connector.binary.sha256) | grep -c upload || true"
        )
        await first.close()
        let second = try await connector.connect(to: address, name: "node", uploaded: { uploads.increment() })
        await second.close()
        #expect(uploads.value == 1)
        #expect(installed.stdout == "swiftlet-agent\n0\n")
    }

    /// Controllers that reach a fresh node at once each upload the agent; the first install
    /// stays (a daemon may already run from it), and one daemon serves them all: none is retired
    /// as if another build had come.
    @Test func controllersInstallingAtOnceShareOneDaemon() async throws {
        let home = try TestSupport.makeHome()
        let node = NodeAddress.local(home: home.path + "/node")
        let connector = try TestSupport.connector(home: home)
        let uploads = Counter()
        let sessions = try await withThrowingTaskGroup(of: NodeSession.self) { group in
            for index in 0..<4 {
                group.addTask { try await connector.connect(to: node, name: "node \(index)", uploaded: { uploads.increment() }) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for session in sessions {
            #expect(try await session.run("echo served").stdout == "served\n")
            await session.close()
        }
        let log = FileSystem.contents(of: home.path + "/node/.swiftlet/run/daemon.log")
        #expect(uploads.value > 1, "the controllers raced to install")
        #expect(!log.contains("retiring"), "\(log)")
        #expect(log.components(separatedBy: " listening on ").count == 2, "\(log)")
    }

    @Test func keepsOnlyTheThreeNewestAgentVersions() async throws {
        let home = try TestSupport.makeHome()
        let nodeHome = home.path + "/node1"
        let agents = nodeHome + "/.swiftlet/agent"
        for (index, name) in ["old1", "old2", "old3", "old4"].enumerated() {
            try FileManager.default.createDirectory(atPath: agents + "/" + name, withIntermediateDirectories: true)
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: Double(-1000 + index))],
                ofItemAtPath: agents + "/" + name
            )
        }
        let connector = try TestSupport.connector(home: home)
        let session = try await connector.connect(to: .local(home: nodeHome), name: "node")
        await session.close()
        let kept = try FileManager.default.contentsOfDirectory(atPath: agents).sorted()
        #expect(kept == [connector.binary.sha256, "old3", "old4"].sorted())
    }

    @Test(.enabled(if: getuid() == 0, "mounting file systems needs root"))
    func aNoexecHomeIsNamed() async throws {
        try await withMountedHome(options: "noexec,size=256m") { home, nodeHome in
            let connector = try TestSupport.connector(home: home)
            await #expect {
                _ = try await connector.connect(to: .local(home: nodeHome), name: "node 0 (local)")
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("node 0 (local): bootstrap") && text.contains("noexec")
            }
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting file systems needs root"))
    func aFullDiskIsNamed() async throws {
        try await withMountedHome(options: "size=1m") { home, nodeHome in
            let connector = try TestSupport.connector(home: home)
            await #expect {
                _ = try await connector.connect(to: .local(home: nodeHome), name: "node 0 (local)")
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("node 0 (local): bootstrap (write)") && text.contains("disk full")
            }
            // Nothing half-written is left behind.
            let leftovers = try await TestSupport.shell("find '\(nodeHome)/.swiftlet' -type f").output
            #expect(leftovers.isEmpty)
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting file systems needs root"))
    func aReadOnlyHomeIsNamed() async throws {
        try await withMountedHome(options: "ro,size=1m") { home, nodeHome in
            let connector = try TestSupport.connector(home: home)
            await #expect {
                _ = try await connector.connect(to: .local(home: nodeHome), name: "node 0 (local)")
            } throws: { error in
                "\(error)".contains("bootstrap (mkdir)") && "\(error)".contains("read-only")
            }
        }
    }

    @Test func aNodeOfAnotherArchitectureIsRefusedByName() throws {
        let home = try TestSupport.makeHome()
        let binary = try TestSupport.agentBinary(home: home)
        let uploader = AgentUploader(binary: binary, node: "node 2 (10.0.0.7)", uploaded: {})
        #expect {
            try uploader.respond(to: BootstrapLine(verb: "need", text: "aarch64"))
        } throws: { error in
            "\(error)" == "node 2 (10.0.0.7): bootstrap: the node is aarch64 but this swiftlet only has an x86_64 agent"
        }
    }

    @Test(.enabled(if: Testbed.available))
    func aDeepHomeStillSharesOneSSHConnectionPerHost() async throws {
        let base = try TestSupport.makeHome().path + "/" + String(repeating: "deep/", count: 20)
        let home = SwiftletHome(path: base)
        try Testbed.installPool("solo", hosts: [3], in: home)
        let task = try cli.writeTask("run: echo up\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "deep-ssh", "--infra", "ssh/solo"], home: home)
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("up"))
        // ssh's ControlMaster socket could not live under the home: it lives in a private /tmp folder.
        let sockets = try FileManager.default.contentsOfDirectory(atPath: home.sshSockets)
        #expect(home.sshSockets.hasPrefix("/tmp/swiftlet-ssh-") && sockets.count == 1)
        var info = stat()
        #expect(stat(home.sshSockets, &info) == 0 && info.st_mode & 0o777 == 0o700)
        _ = try await cli.swiftlet(["down", "deep-ssh"], home: home)
    }

    @Test(.enabled(if: Testbed.available))
    func anUnreachableHostIsNamed() async throws {
        let home = try TestSupport.makeHome()
        let connector = try TestSupport.connector(home: home)
        await #expect {
            _ = try await connector.connect(
                to: .ssh(SSHHost(address: "10.213.0.250", user: "root", identityFile: Testbed.state + "/client_key")),
                name: "node 1 (10.213.0.250)"
            )
        } throws: { error in
            "\(error)".hasPrefix("node 1 (10.213.0.250): connect: host unreachable")
        }
    }

    @Test(.enabled(if: Testbed.available))
    func refusedAuthenticationIsNamed() async throws {
        let home = try TestSupport.makeHome()
        let key = home.path + "/stranger_key"
        try await TestSupport.shell("ssh-keygen -q -t ed25519 -N '' -f '\(key)'")
        let connector = try TestSupport.connector(home: home)
        await #expect {
            _ = try await connector.connect(
                to: .ssh(SSHHost(address: Testbed.host(1).address, user: "root", identityFile: key)),
                name: "node 0 (10.213.0.11)"
            )
        } throws: { error in
            "\(error)".hasPrefix("node 0 (10.213.0.11): connect: authentication refused")
        }
    }

    @Test(.enabled(if: Testbed.available))
    func loginNoiseFromRcFilesIsIgnored() async throws {
        // Host 5's noisy ~/.bashrc: its other tests read only what the agent says.
        let bashrc = Testbed.state + "/h5/root/.bashrc"
        try "echo 'Welcome to host 5!'; printf '\\211SWL garbage\\n'; echo noise >&2\n".write(
            toFile: bashrc,
            atomically: true,
            encoding: .utf8
        )
        defer { unlink(bashrc) }
        let home = try TestSupport.makeHome()
        let session = try await TestSupport.connector(home: home).connect(to: .ssh(Testbed.host(5)), name: "node")
        let result = try await session.run("echo clean")
        await session.close()
        #expect(result.stdout == "clean\n")
    }

    @Test func theEmbeddedSnippetIsTheOneInAgentDirectory() throws {
        let file = try String(contentsOfFile: TestSupport.packageRoot + "/agent/bootstrap.sh", encoding: .utf8)
        // (A Swift multi-line literal drops the file's final newline.)
        #expect(BootstrapScript.template + "\n" == file)
    }

    /// Mounts a tmpfs with `options` as a node's home for the duration of `body`.
    func withMountedHome(options: String, _ body: (SwiftletHome, String) async throws -> Void) async throws {
        let home = try TestSupport.makeHome()
        let nodeHome = home.path + "/node1"
        try FileManager.default.createDirectory(atPath: nodeHome, withIntermediateDirectories: true)
        let mounted = try await TestSupport.shell("mount -t tmpfs -o \(options) swiftlet-test '\(nodeHome)'")
        try #require(mounted.code == 0, "mount failed: \(mounted.output)")
        do {
            try await body(home, nodeHome)
        } catch {
            try await TestSupport.shell("umount -l '\(nodeHome)'")
            throw error
        }
        try await TestSupport.shell("umount -l '\(nodeHome)'")
    }
}

/// The agent's install is the node user's alone, whatever umask the login shell sets, and an
/// agent another user could have replaced is never run.
@Suite struct InstallModeTests {
    @Test func underUmask000TheInstallIsStillPrivate() async throws {
        let home = try TestSupport.makeHome()
        let node = home.path + "/node"
        let task = try CommandLineTests().writeTask("run: echo ok\n", home: home)
        let environment = [
            "SWIFTLET_HOME": home.path, "SWIFTLET_AGENT_BINARY": TestSupport.agentPath, "SWIFTLET_KEEPALIVE": "0", "HOME": node,
        ]
        // The local infra's node shell inherits the controller's umask, as ssh's login shell
        // takes one from the node user's .bashrc.
        let run = try await TestSupport.shell(
            "umask 000; '\(TestSupport.controllerPath)' launch '\(task)' -c modes --infra local",
            environment: environment
        )
        #expect(run.code == 0, "\(run.output)")
        let agentHome = home.localNode(cluster: "modes", index: 0) + "/.swiftlet"
        let sha = try SHA256Digest.hex(ofFile: TestSupport.agentPath)
        for path in [agentHome, agentHome + "/agent", agentHome + "/agent/" + sha, agentHome + "/jobs/modes/1"] {
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o077 == 0, "\(path): \(String(info.st_mode & 0o777, radix: 8))")
        }
        _ = try await TestSupport.shell("'\(TestSupport.controllerPath)' down modes", environment: environment)
    }

    @Test func anAgentDirectoryOthersCanWriteIsRefused() async throws {
        let home = try TestSupport.makeHome()
        let nodeHome = home.path + "/node"
        let connector = try TestSupport.connector(home: home)
        let first = try await connector.connect(to: .local(home: nodeHome), name: "node 0 (local)")
        await first.close()
        let version = nodeHome + "/.swiftlet/agent/" + connector.binary.sha256
        // Stop the daemon first: the next connection must start the agent from this directory.
        if let daemon = DaemonRecord.running(home: nodeHome) { kill(daemon.process.pid, SIGKILL) }
        try await Task.sleep(for: .milliseconds(200))
        chmod(version, 0o777)
        await #expect {
            _ = try await connector.connect(to: .local(home: nodeHome), name: "node 0 (local)")
        } throws: { error in
            "\(error)".contains("refusing to run: \(version) is writable by other users (mode 777)")
        }
        chmod(version, 0o700)
    }
}
