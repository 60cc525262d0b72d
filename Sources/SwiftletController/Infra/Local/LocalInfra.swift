import Foundation
import SwiftletPOSIX
import SwiftletProtocol

/// `--infra local`: each node is an agent process on this machine with its own home under
/// `$SWIFTLET_HOME/local/<cluster>/node<K>/`.
public struct LocalInfra: NodeProvider {
    static let entry = InfraRegistry.Entry(
        kind: "local",
        transports: [LocalTransport.self],
        provider: { _ in LocalInfra() }
    )

    public var infra: Infra { .local }

    public func provision(count: Int, cluster: String, home: SwiftletHome) async throws -> [NodeAddress] {
        (0..<count).map { .local(home: home.localNode(cluster: cluster, index: $0)) }
    }

    public func release(cluster: String, nodes: [NodeAddress], home: SwiftletHome) async {
        for node in nodes {
            if let local = node.transport as? LocalTransport { Self.stopNode(home: local.home, cluster: cluster) }
        }
        try? FileManager.default.removeItem(atPath: home.localCluster(cluster))
    }

    /// Kills the process trees of the node's unfinished jobs that the cancel before it could not
    /// reach, and stops its daemon (each checked against its recorded start time, so a reused
    /// pid is never hit). The node is a directory of this machine: its files are ours to read.
    static func stopNode(home nodeHome: String, cluster: String) {
        let jobs = nodeHome + "/.swiftlet/jobs/" + cluster
        for id in (try? FileManager.default.contentsOfDirectory(atPath: jobs)) ?? [] {
            guard let record = JobRecord(text: FileSystem.contents(of: "\(jobs)/\(id)/job")), !record.state.isFinal, record.pid > 0 else {
                continue
            }
            if ProcessIdentity(pid: record.pid, startTime: record.pidStartTime).isRunning { kill(-record.pid, SIGKILL) }
        }
        if let daemon = DaemonRecord.running(home: nodeHome) { kill(daemon.process.pid, SIGTERM) }
    }
}

extension Infra {
    /// The default infra.
    public static let local = Infra(kind: LocalInfra.entry.kind)
}
