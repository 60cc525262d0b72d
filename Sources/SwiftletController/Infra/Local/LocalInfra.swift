import Foundation
import SwiftletPOSIX

/// `--infra local`: each node is an agent process on this machine with its own home under
/// `$SWIFTLET_HOME/local/<cluster>/node<K>/`. The nodes share one store of agent builds (each
/// home's `.swiftlet/agent` links to `$SWIFTLET_HOME/local/agents`): a new cluster's nodes, and
/// the containers they lend the agent to, find it there instead of being sent its 15 MB again.
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
        return try (0..<count).map { index in
            let node = home.localNode(cluster: cluster, index: index)
            try Self.shareAgents(node: node, home: home)
            return .local(home: node)
        }
    }

    /// Links the node's store of agent builds to the one its siblings share (a home made
    /// before the store was shared keeps its own).
    static func shareAgents(node: String, home: SwiftletHome) throws {
        try home.ensure(home.localAgents)
        try home.ensure(node + "/.swiftlet")
        if symlink(home.localAgents, node + "/.swiftlet/agent") != 0 && errno != EEXIST {
            throw ControllerError("cannot link \(node)/.swiftlet/agent to \(home.localAgents): \(String(cString: strerror(errno)))")
        }
    }

    /// This machine, as a node of its own (`swiftlet gpus --infra local`).
    public func allNodes(home: SwiftletHome) async throws -> [NodeAddress] {
        let node = home.localNode(cluster: Self.inventoryCluster, index: 0)
        try Self.shareAgents(node: node, home: home)
        return [.local(home: node)]
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
