import Foundation

/// `swiftlet down`: forgets a cluster and removes what it left on this machine.
public struct ClusterTeardown: Sendable {
    public let home: SwiftletHome

    public init(home: SwiftletHome) {
        self.home = home
    }

    public func down(_ name: String) async throws {
        let store = ClusterStore(home: home)
        let loaded: ClusterRecord?
        do {
            loaded = try store.load(name)
        } catch is ClusterStore.UnreadableRecord {
            // A record that does not read names no nodes to release: it is only forgotten.
            try store.remove(name)
            return
        }
        guard let record = loaded else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        for node in record.nodes { ConnectionKeeper.stop(home: home, address: node) }
        await Self.release(nodes: record.nodes, cluster: name, infra: record.infra, home: home)
        try? FileManager.default.removeItem(atPath: DetachedGang.directory(home: home, cluster: name))
        try store.remove(name)
    }

    /// Removes what each node's transport made (a container and its credentials), then gives
    /// the hosts back to their infra.
    static func release(nodes: [NodeAddress], cluster: String, infra: Infra, home: SwiftletHome) async {
        await withTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { await node.transport.remove(cluster: cluster, home: home) } }
        }
        await (try? infra.provider())?.release(cluster: cluster, nodes: nodes.map(\.host), home: home)
    }
}
