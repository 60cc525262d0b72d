import Foundation
@testable import SwiftletController
import Testing

/// The infra seam: infras parsed through the registry, nodes stored as transports of any kind
/// (and read back from what earlier builds wrote), and transports wrapped in other transports.
@Suite struct InfraSeamTests {
    @Test func infrasAreReadThroughTheRegistry() throws {
        #expect(try Infra(parsing: "local") == .local)
        let pool = try Infra(parsing: "ssh/gpu-pool")
        #expect(pool.kind == "ssh" && pool.argument == "gpu-pool" && pool.description == "ssh/gpu-pool")
        #expect((try pool.provider() as? SSHInfra)?.pool == "gpu-pool")
        #expect(throws: ControllerError.self) { try Infra(parsing: "ssh") }
        #expect(throws: ControllerError.self) { try Infra(parsing: "ssh/") }
        #expect(throws: ControllerError.self) { try Infra(parsing: "local/extra") }
        do {
            _ = try Infra(parsing: "k8s/my-context")
            Issue.record("k8s is not an infra yet")
        } catch {
            #expect("\(error)" == "unknown infra 'k8s/my-context': use 'local' or 'ssh/POOL' (Kubernetes is not supported yet)")
        }
    }

    /// A cluster record exactly as the build before the registry wrote it.
    static let recordFromThePreviousBuild = #"""
        {
          "created" : "2026-12-01T10:00:00Z",
          "infra" : "ssh/four",
          "lastJobID" : 3,
          "name" : "train",
          "nodes" : [
            { "ssh" : { "_0" : { "address" : "10.213.0.11", "identityFile" : "/k", "user" : "root" } } },
            { "local" : { "home" : "/h/node1" } },
            { "command" : { "argv" : [ "chroot", "/r", "/bin/sh", "-c" ], "ip" : "127.0.0.1" } }
          ]
        }
        """#

    @Test func recordsOfThePreviousBuildStillLoad() throws {
        let record = try JSONDecoder().decode(ClusterRecord.self, from: Data(Self.recordFromThePreviousBuild.utf8))
        #expect(record.infra == (try Infra(parsing: "ssh/four")))
        #expect(record.nodes[0] == .ssh(SSHHost(address: "10.213.0.11", user: "root", identityFile: "/k")))
        #expect(record.nodes[1] == .local(home: "/h/node1"))
        #expect(record.nodes[2] == .command(argv: ["chroot", "/r", "/bin/sh", "-c"], ip: "127.0.0.1"))
        #expect(record.nodes.map(\.ip) == ["10.213.0.11", "127.0.0.1", "127.0.0.1"])
        // Written again, each node names its transport's kind, and reads back the same.
        let written = try JSONEncoder().encode(record)
        let text = String(decoding: written, as: UTF8.self)
        #expect(text.contains(#""kind":"ssh""#) && text.contains(#""kind":"local""#) && text.contains(#""infra":"ssh\/four""#))
        #expect(try JSONDecoder().decode(ClusterRecord.self, from: written) == record)
    }

    @Test func anUnknownTransportIsNamedWhenARecordIsRead() {
        let json = #"{"kind": "k8s", "pod": "p"}"#
        #expect {
            _ = try JSONDecoder().decode(NodeAddress.self, from: Data(json.utf8))
        } throws: { "\($0)".contains("unknown transport 'k8s'") }
    }

    /// A container on an SSH host: `docker exec` runs on the host, through the host's own ssh
    /// transport, with the snippet as its last word, quoted once more for the host's shell.
    @Test func aTransportWrappedInSSHRunsItsCommandOnTheHost() throws {
        let home = try TestSupport.makeHome()
        let host = NodeAddress.ssh(SSHHost(address: "10.0.0.7", user: "ubuntu"))
        let container = CommandTransport(argv: ["docker", "exec", "-i", "c1", "/bin/sh", "-c"], ip: "10.0.0.7", via: host)
        let launch = try container.launch("echo 'it''s' $HOME", home: home)
        #expect(launch.arguments.first?.hasSuffix("/ssh") == true)
        #expect(launch.arguments.suffix(2).first == "10.0.0.7")
        let remote = try #require(launch.arguments.last)
        let inner = #"'docker' 'exec' '-i' 'c1' '/bin/sh' '-c' 'echo '\''it'\'''\''s'\'' $HOME'"#
        #expect(remote == "exec /bin/sh -c " + ShellQuoting.quote(inner))
        #expect(NodeAddress(container).description == "docker exec -i c1 /bin/sh -c on ubuntu@10.0.0.7")
    }

    /// A wrapped transport is a real path to an agent: a command run through a local node's
    /// shell brings the agent up in a home of its own and serves commands.
    @Test func anAgentComesUpThroughAWrappedTransport() async throws {
        let home = try TestSupport.makeHome()
        let outer = NodeAddress.local(home: home.path + "/outer")
        let inner = home.path + "/inner"
        try FileManager.default.createDirectory(atPath: inner, withIntermediateDirectories: true)
        let node = NodeAddress.command(argv: ["env", "HOME=\(inner)", "/bin/sh", "-c"], ip: "127.0.0.1", via: outer)
        let session = try await TestSupport.connector(home: home).connect(to: node, name: "node 0 (wrapped)")
        let result = try await session.run("echo \"$HOME\"")
        await session.close()
        #expect(result.stdout == inner + "\n")
        #expect(FileManager.default.fileExists(atPath: inner + "/.swiftlet/run"))
    }

    @Test func localNodesAreProvisionedAndReleasedByTheirProvider() async throws {
        let home = try TestSupport.makeHome()
        let provider = try Infra.local.provider()
        let nodes = try await provider.provision(count: 2, cluster: "c", home: home)
        #expect(nodes == [.local(home: home.localNode(cluster: "c", index: 0)), .local(home: home.localNode(cluster: "c", index: 1))])
        try FileManager.default.createDirectory(atPath: home.localNode(cluster: "c", index: 0), withIntermediateDirectories: true)
        await provider.release(cluster: "c", nodes: nodes, home: home)
        #expect(!FileManager.default.fileExists(atPath: home.localCluster("c")))
    }

    @Test func anSSHPoolThatIsTooSmallIsNamed() async throws {
        let home = try TestSupport.makeHome()
        try "small:\n  hosts:\n    - 10.0.0.1\n".write(toFile: home.nodePools, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await Infra(parsing: "ssh/small").provider().provision(count: 2, cluster: "c", home: home)
        } throws: { "\($0)" == "pool 'small' has 1 hosts; the task needs 2" }
        await #expect {
            _ = try await Infra(parsing: "ssh/big").provider().provision(count: 1, cluster: "c", home: home)
        } throws: { "\($0)".hasPrefix("no pool 'big' in ") }
    }
}

/// What a careless or hostile name, pool file or record does: a clear error, never a file
/// outside the store, an option smuggled to ssh, or one bad record hiding the others.
@Suite struct ClusterNameAndPoolTests {
    let cli = CommandLineTests()

    @Test func everyCommandRefusesANameThatIsNotAClustersAndTouchesNothing() async throws {
        let home = try TestSupport.makeHome()
        let victim = FileManager.default.temporaryDirectory.path + "/swiftlet-victim-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try "{}".write(toFile: victim + ".json", atomically: true, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: victim)
            try? FileManager.default.removeItem(atPath: victim + ".json")
        }
        let name = "../../../../../../.." + victim
        let commands = [
            ["down", name], ["logs", name, "--no-follow"], ["queue", name], ["cancel", name], ["exec", name, "--", "true"],
        ]
        for arguments in commands {
            let run = try await cli.swiftlet(arguments, home: home)
            #expect(run.code != 0, "\(arguments)")
            #expect(run.stderr.contains("invalid cluster name"), "\(arguments): \(run.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: victim))
        #expect(FileManager.default.fileExists(atPath: victim + ".json"))
    }

    @Test func aPoolHostThatLooksLikeAnOptionIsRefused() throws {
        for host in ["-oProxyCommand=touch /tmp/pwned", "", "a b"] {
            let text = "p:\n  hosts:\n    - \"\(host)\"\n"
            #expect(throws: ControllerError.self) { try NodePoolFile.parse(text, path: "pools.yaml") }
        }
        #expect(throws: ControllerError.self) { try NodePoolFile.parse("p:\n  port: abc\n  hosts: [h]\n", path: "pools.yaml") }
        let farPort = "p:\n  hosts:\n    - ip: h\n      port: 70000\n"
        #expect(throws: ControllerError.self) { try NodePoolFile.parse(farPort, path: "pools.yaml") }
        let arguments = SSHHost(address: "h").sshArguments(stateDirectory: "/s", socketDirectory: "/s")
        #expect(arguments.suffix(2) == ["--", "h"], "the destination comes after --")
    }

    @Test func anUnreadableRecordIsNamedByStatusAndForgottenByDown() async throws {
        let home = try TestSupport.makeHome()
        try FileManager.default.createDirectory(atPath: home.clusters, withIntermediateDirectories: true)
        try "{ not json".write(toFile: home.clusters + "/broken.json", atomically: true, encoding: .utf8)
        let record = ClusterRecord(name: "fine", infra: .local, nodes: [.local(home: home.path + "/n")])
        try ClusterStore(home: home).save(record)
        let status = try await cli.swiftlet(["status"], home: home)
        #expect(status.code == 0)
        #expect(status.stdout.contains("fine"), "one damaged record hides no other")
        #expect(status.stderr.contains("broken.json is unreadable") && status.stderr.contains("'swiftlet down broken' forgets it"))
        let down = try await cli.swiftlet(["down", "broken"], home: home)
        #expect(down.code == 0, "\(down.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home.clusters + "/broken.json"))
    }
}

/// A launch that cannot bring its nodes up leaves nothing behind, and local nodes are bounded.
@Suite struct FailedLaunchTests {
    let cli = CommandLineTests()

    @Test func absurdNodeCountsAreRefusedAndLeaveNoCluster() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: echo hi\n", home: home)
        let none = try await cli.swiftlet(["launch", task, "-c", "zero", "--num-nodes", "0"], home: home)
        #expect(none.code != 0 && none.stderr.contains("at least one node"), "\(none.stderr)")
        let many = try await cli.swiftlet(["launch", task, "-c", "many", "--num-nodes", "100000"], home: home)
        #expect(many.code != 0 && many.stderr.contains("at most 64 nodes"), "\(many.stderr)")
        #expect(try await cli.swiftlet(["status"], home: home).stdout == "No clusters.\n")
        #expect(!FileManager.default.fileExists(atPath: home.localCluster("many")))
    }

    @Test(.enabled(if: Testbed.available))
    func aLaunchWhoseNodesNeverCameUpLeavesNoCluster() async throws {
        let home = try TestSupport.makeHome()
        let pool = "gone:\n  user: root\n  identity_file: \(Testbed.state)/client_key\n  hosts:\n    - 10.213.0.250\n"
        try pool.write(toFile: home.nodePools, atomically: true, encoding: .utf8)
        let task = try cli.writeTask("run: echo hi\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "ghost", "--infra", "ssh/gone"], home: home)
        #expect(run.code != 0 && run.stderr.contains("host unreachable"), "\(run.stderr)")
        #expect(try await cli.swiftlet(["status"], home: home).stdout == "No clusters.\n")
    }
}
