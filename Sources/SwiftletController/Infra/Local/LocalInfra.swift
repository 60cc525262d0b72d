import Foundation
import SwiftletPOSIX

/// `--infra local`: each node is an agent process on this machine with its own home under
/// `$SWIFTLET_HOME/local/<cluster>/node<K>/`.
public struct LocalInfra: NodeProvider {
    static let entry = InfraRegistry.Entry(
        kind: "local",
        transports: [LocalTransport.self],
        provider: { _ in LocalInfra() }
    )

    public var infra: Infra { .local }

    /// Local nodes share this machine: more than this many is a mistake, not a cluster.
    public static let maximumNodes = 64

    public func provision(count: Int, cluster: String, home: SwiftletHome) async throws -> [NodeAddress] {
        guard count <= Self.maximumNodes else {
            throw ControllerError(
                "a local cluster has at most \(Self.maximumNodes) nodes (they share this machine); the task asks for \(count)"
            )
        }
        return (0..<count).map { .local(home: home.localNode(cluster: cluster, index: $0)) }
    }

    /// This machine, as a node of its own (`swiftlet gpus --infra local`).
    public func allNodes(home: SwiftletHome) async throws -> [NodeAddress] {
        [.local(home: home.localNode(cluster: Self.inventoryCluster, index: 0))]
    }

    /// The name under which `swiftlet gpus --infra local` asks this machine.
    static let inventoryCluster = "gpus"

    public func release(cluster: String, nodes: [NodeAddress], home: SwiftletHome) async {
        for node in nodes {
            if let local = node.transport as? LocalTransport { Self.stopNode(home: local.home, cluster: cluster) }
        }
        try? FileManager.default.removeItem(atPath: home.localCluster(cluster))
    }

    /// Stops the node's daemon (checked against its recorded start time, so a reused pid is
    /// never hit). Its jobs were cancelled through it before.
    static func stopNode(home nodeHome: String, cluster: String) {
        if let daemon = DaemonRecord.running(home: nodeHome) { kill(daemon.process.pid, SIGTERM) }
    }
}

extension Infra {
    /// The default infra.
    public static let local = Infra(kind: LocalInfra.entry.kind)
}
