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
