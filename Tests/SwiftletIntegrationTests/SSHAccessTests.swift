import Foundation
import SwiftletController
import SwiftletPOSIX
import Testing

/// OpenSSH's own ssh, scp, sftp and rsync against a local cluster's node through `swiftlet
/// proxy`, with the config `launch` writes: no sshd runs for the node.
@Suite struct SSHAccessTests {
    let cli = CommandLineTests()

    struct Access {
        let home: SwiftletHome
        var config: String { home.path + "/user-ssh-config" }

        /// Runs `command` (its `ssh`, `scp`, ... read the user config the launch included ours in).
        func shell(_ command: String, stdin: String? = nil) async throws -> (code: Int32, output: String) {
            let input = stdin.map { "printf '%s' '\($0)' | " } ?? ""
            return try await TestSupport.shell(
                "cd '\(home.path)' && \(input)timeout 60 \(command)",
                environment: [
                    "SWIFTLET_HOME": home.path, "SWIFTLET_AGENT_BINARY": TestSupport.agentPath, "SWIFTLET_SSH_CONFIG": config,
                ]
            )
        }
    }

    func launched(_ name: String) async throws -> Access {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("envs:\n  MODEL: llama\nrun: echo up\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", name], home: home)
        #expect(launch.code == 0, "\(launch.stderr)")
        return Access(home: home)
    }

    @Test func sshRunsCommandsWithTheirExitCodesStreamsAndTheJobsEnvironment() async throws {
        let access = try await launched("sshed")
        let user = try String(contentsOfFile: access.config, encoding: .utf8)
        #expect(user.hasPrefix("# Added by swiftlet") && user.contains("Include \(access.home.path)/ssh/config"), "\(user)")
        let ssh = "ssh -F '\(access.config)'"
        let run = try await access.shell(
            "\(ssh) sshed 'echo \"$SKYPILOT_NODE_RANK $MODEL $(pwd)\"; echo to-err >&2; exit 3' 2>err; echo \"code=$?\"; cat err"
        )
        // In the home, as sshd starts a session.
        #expect(run.output.contains("0 llama \(access.home.localNode(cluster: "sshed", index: 0))\n"), "\(run.output)")
        #expect(run.output.contains("code=3\nto-err\n"), "\(run.output)")
        // stdin arrives whole and ends.
        let counted = try await access.shell("head -c 300000 /dev/urandom | \(ssh) sshed 'wc -c'")
        #expect(counted.output.trimmingCharacters(in: .whitespacesAndNewlines) == "300000", "\(counted.output)")
        // A terminal when asked for one.
        let tty = try await access.shell("\(ssh) -tt sshed 'tty; exit 4' </dev/null; echo \"code=$?\"")
        #expect(tty.output.contains("/dev/pts/") && tty.output.contains("code=4"), "\(tty.output)")
        // A second launch adds no second Include.
        _ = try await cli.swiftlet(["launch", try cli.writeTask("run: true\n", home: access.home), "-c", "sshed"], home: access.home)
        let again = try String(contentsOfFile: access.config, encoding: .utf8)
        #expect(again.components(separatedBy: "Include ").count == 2, "\(again)")
        _ = try await cli.swiftlet(["down", "sshed"], home: access.home)
        let config = try String(contentsOfFile: access.home.path + "/ssh/config", encoding: .utf8)
        #expect(!config.contains("Host sshed"), "\(config)")
    }

    @Test func scpSftpRsyncAndForwardingWork() async throws {
        let access = try await launched("files")
        let node = access.home.localNode(cluster: "files", index: 0)
        let ssh = "ssh -F '\(access.config)'"
        let payload = Data((0..<2_000_000).map { _ in UInt8.random(in: 0...255) })
        try payload.write(to: URL(fileURLWithPath: access.home.path + "/payload"))
        let scp = try await access.shell("scp -F '\(access.config)' payload files:copied && scp -F '\(access.config)' files:copied back")
        #expect(scp.code == 0, "\(scp.output)")
        #expect(FileManager.default.contents(atPath: node + "/copied") == payload)
        #expect(FileManager.default.contents(atPath: access.home.path + "/back") == payload)
        try "ls\nmkdir made\nput payload made/p\n".write(toFile: access.home.path + "/batch", atomically: true, encoding: .utf8)
        let sftp = try await access.shell("sftp -F '\(access.config)' -b batch files")
        #expect(sftp.code == 0 && sftp.output.contains("copied"), "\(sftp.output)")
        #expect(FileManager.default.contents(atPath: node + "/made/p") == payload)
        try FileManager.default.createDirectory(atPath: access.home.path + "/tree/sub", withIntermediateDirectories: true)
        try "a\n".write(toFile: access.home.path + "/tree/sub/a", atomically: true, encoding: .utf8)
        let rsync = try await access.shell("rsync -a -e \"\(ssh)\" tree/ files:synced/")
        #expect(rsync.code == 0, "\(rsync.output)")
        #expect(FileSystem.contents(of: node + "/synced/sub/a") == "a\n")
        // direct-tcpip (what ssh -L and VS Code use): a server on the node's loopback.
        let port = Int.random(in: 20_000...40_000)
        // Started detached, holding no descriptor of this test (a pipe it held would never end).
        _ = try ProcessSpawner.spawnDetached(
            ["/bin/sh", "-c", "cd '\(access.home.path)' && exec python3 -m http.server \(port) --bind 127.0.0.1"],
            environment: ProcessInfo.processInfo.environment,
            logFile: "/dev/null"
        )
        _ = try await TestSupport.shell(
            "for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", \(port)))' 2>/dev/null && break; sleep 0.1; done"
        )
        defer { _ = try? TestSupport.shellBlocking("pkill -f 'http.server \(port)'") }
        let server = try await access.shell("printf 'GET /tree/sub/a HTTP/1.0\\r\\n\\r\\n' | \(ssh) -W 127.0.0.1:\(port) files")
        #expect(server.output.contains("HTTP/1.0 200") && server.output.hasSuffix("a\n"), "\(server.output)")
        // ssh -L: a port here joined to the node's server.
        let local = Int.random(in: 40_001...50_000)
        let forwarded = try await TestSupport.shell(
            "cd '\(access.home.path)' && \(ssh) -f -N -o ExitOnForwardFailure=yes -L 127.0.0.1:\(local):127.0.0.1:\(port) files && "
                + "curl -sf http://127.0.0.1:\(local)/tree/sub/a; pkill -f 'L 127.0.0.1:\(local):'",
            environment: [
                "SWIFTLET_HOME": access.home.path, "SWIFTLET_AGENT_BINARY": TestSupport.agentPath, "SWIFTLET_SSH_CONFIG": access.config,
            ]
        )
        #expect(forwarded.output == "a\n", "\(forwarded.output)")
        _ = try await cli.swiftlet(["down", "files"], home: access.home)
    }

    @Test func onlyThisHomesKeyAndTheClustersHostKeyAreAccepted() async throws {
        let access = try await launched("locked")
        // Another key (and only it: the home's is moved away) is refused.
        let other = access.home.path + "/other_key"
        let key = access.home.path + "/ssh/id_ed25519"
        _ = try await access.shell("ssh-keygen -q -t ed25519 -N '' -f '\(other)' && mv '\(key)' '\(key).away'")
        let refused = try await access.shell("ssh -F '\(access.config)' -o IdentityFile='\(other)' -o BatchMode=yes locked true 2>&1")
        #expect(refused.code == 255 && refused.output.contains("Permission denied"), "\(refused.output)")
        _ = try await access.shell("mv '\(key).away' '\(key)'")
        // Another host key than the pinned one is refused by ssh itself.
        let hostKey = access.home.path + "/ssh/hosts/locked"
        try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: hostKey))
        let changed = try await access.shell("ssh -F '\(access.config)' -o BatchMode=yes locked true 2>&1")
        #expect(changed.code == 255 && changed.output.contains("HOST IDENTIFICATION HAS CHANGED"), "\(changed.output)")
        // ssh-config prints the hosts and the Include line.
        let printed = try await cli.swiftlet(["ssh-config"], home: access.home)
        #expect(
            printed.stdout.contains("Include \(access.home.path)/ssh/config") && printed.stdout.contains("Host locked\n"),
            "\(printed.stdout)"
        )
        _ = try await cli.swiftlet(["down", "locked"], home: access.home)
    }

    /// What VS Code Remote-SSH does: `ssh -T -D PORT HOST bash` with its install script on stdin
    /// (an exec with stdin), then its connections to the server it started through the SOCKS
    /// port (direct-tcpip channels).
    @Test func aVSCodeStyleSessionWorks() async throws {
        let access = try await launched("editor")
        let (socks, server) = (Int.random(in: 40_001...50_000), Int.random(in: 50_001...60_000))
        try "echo ready-$SKYPILOT_NUM_NODES\nexec python3 -m http.server \(server) --bind 127.0.0.1\n"
            .write(toFile: access.home.path + "/install.sh", atomically: true, encoding: .utf8)
        _ = try ProcessSpawner.spawnDetached(
            [
                "/bin/sh", "-c",
                "cd '\(access.home.path)' && exec ssh -F '\(access.config)' -T -D 127.0.0.1:\(socks) editor bash <install.sh >session.log 2>&1",
            ],
            environment: ProcessInfo.processInfo.environment.merging([
                "SWIFTLET_HOME": access.home.path, "SWIFTLET_AGENT_BINARY": TestSupport.agentPath, "SWIFTLET_SSH_CONFIG": access.config,
            ]) { $1 },
            logFile: "/dev/null"
        )
        defer { _ = try? TestSupport.shellBlocking("pkill -f 'http.server \(server)'; pkill -f 'D 127.0.0.1:\(socks)'") }
        let fetched = try await TestSupport.shell(
            "for i in $(seq 150); do curl -sf --socks5-hostname 127.0.0.1:\(socks) http://127.0.0.1:\(server)/ && break; sleep 0.2; done"
        )
        // The server the session started lists the node's home, where sessions start.
        #expect(fetched.output.contains("Directory listing for /") && fetched.output.contains("sky_workdir/"), "\(fetched.output)")
        #expect(FileSystem.contents(of: access.home.path + "/session.log").contains("ready-1"))
        _ = try await cli.swiftlet(["down", "editor"], home: access.home)
    }

    /// A test-bed host whose sshd is stopped once the agent is up: ssh, scp (SFTP and the old
    /// protocol), sftp and rsync still reach it, through the kept agent connection. (Host 9 is
    /// this test's: its sshd is restarted after.)
    @Test(.enabled(if: Testbed.available)) func aHostWhoseSSHDStoppedIsStillReached() async throws {
        let home = try TestSupport.makeHome()
        try Testbed.installPool("nine", hosts: [9], in: home)
        let task = try cli.writeTask("run: echo up\n", home: home)
        let launch = try await cli.swiftlet(["launch", task, "-c", "nosshd", "--infra", "ssh/nine"], home: home, keepAlive: 120)
        #expect(launch.code == 0, "\(launch.stderr)")
        _ = try await TestSupport.shell("kill $(cat '\(Testbed.state)/h9/sshd.pid')")
        defer { _ = try? TestSupport.shellBlocking("'\(TestSupport.packageRoot)/scripts/testbed.sh' up \(Testbed.hostCount)") }
        let refused = try await TestSupport.shell(
            "timeout 10 ssh -o BatchMode=yes -o ConnectTimeout=5 -i '\(Testbed.state)/client_key' root@\(Testbed.host(9).address) true"
        )
        #expect(refused.code != 0, "sshd still answers: \(refused.output)")
        let access = Access(home: home)
        let ssh = "ssh -F '\(access.config)'"
        let mark = UUID().uuidString.prefix(8)
        try "via scp \(mark)\n".write(toFile: home.path + "/note", atomically: true, encoding: .utf8)
        try "put note sftp-\(mark)\n".write(toFile: home.path + "/batch", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: home.path + "/tree", withIntermediateDirectories: true)
        try "r\n".write(toFile: home.path + "/tree/r", atomically: true, encoding: .utf8)
        let run = try await access.shell(
            "\(ssh) nosshd 'echo ok; pwd' && scp -F '\(access.config)' note nosshd:scp-\(mark) && scp -O -F '\(access.config)' nosshd:scp-\(mark) back-O "
                + "&& sftp -q -F '\(access.config)' -b batch nosshd && rsync -a -e \"\(ssh)\" tree/ nosshd:rsync-\(mark)/ "
                + "&& \(ssh) nosshd 'cat scp-\(mark) sftp-\(mark) rsync-\(mark)/r; rm -r scp-\(mark) sftp-\(mark) rsync-\(mark)'"
        )
        #expect(run.code == 0, "\(run.output)")
        #expect(run.output.hasPrefix("ok\n/root\n") && run.output.hasSuffix("via scp \(mark)\nvia scp \(mark)\nr\n"), "\(run.output)")
        #expect(FileSystem.contents(of: home.path + "/back-O") == "via scp \(mark)\n")
        _ = try await cli.swiftlet(["down", "nosshd"], home: home)
    }

    /// 100 MiB sent to a command that reads nothing for 3 s: the proxy does not take it all in
    /// while the node cannot (SSH's channel window holds the client back), and every byte arrives.
    @Test func aFloodToASlowCommandIsHeldBackNotBuffered() async throws {
        let access = try await launched("flood")
        let run = try await access.shell(
            "sh -c \"(head -c 104857600 /dev/zero | ssh -F '\(access.config)' flood 'sleep 3; wc -c' > count) & sleep 2.5; "
                + "for p in \\$(pgrep -f 'proxy flood'); do grep VmRSS /proc/\\$p/status; done; wait; cat count\""
        )
        let lines = run.output.split(separator: "\n")
        #expect(lines.last?.trimmingCharacters(in: .whitespaces) == "104857600", "\(run.output)")
        let resident = lines.filter { $0.hasPrefix("VmRSS:") }.compactMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
        #expect(!resident.isEmpty && resident.allSatisfy { $0 < 90_000 }, "the proxy held the flood: \(run.output)")
        _ = try await cli.swiftlet(["down", "flood"], home: access.home)
    }
}
