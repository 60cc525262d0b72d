import NIOCore
import SwiftletProtocol

/// The controller's side of autostop: sets a cluster's autostop on its head node (every job of
/// a cluster has its rank 0 there, so the head's queue tells when the cluster idles), and asks
/// whether it fired.
public enum AutostopControl {
    /// `swiftlet autostop`: sets (nil: cancels) the cluster's autostop on its head node, then in
    /// its record.
    public static func apply(_ setting: ClusterRecord.AutostopSetting?, to cluster: String, connector: NodeConnector) async throws {
        let store = ClusterStore(home: connector.home)
        guard let record = try store.load(cluster), let head = record.nodes.first else {
            throw ControllerError("no cluster '\(cluster)'; see 'swiftlet status'")
        }
        try await connector.withSession(to: head, name: JobRunner.nodeName(rank: 0, node: head)) { session in
            try await set(setting, cluster: cluster, on: session)
        }
        try store.locked {
            guard var current = try store.load(cluster) else { throw ControllerError("cluster '\(cluster)' was taken down") }
            current.autostop = setting
            try store.save(current)
        }
    }

    /// Sets (or with `minutes` -1, cancels) the autostop of `cluster` on the head node.
    static func set(_ setting: ClusterRecord.AutostopSetting?, cluster: String, on head: NodeSession) async throws {
        let request = Autostop(cluster: cluster, minutes: setting?.minutes ?? -1, down: setting?.down ?? false)
        _ = try await exchange(request.text, on: head)
    }

    /// The head node's autostop of `cluster`: nil when it has none.
    static func query(cluster: String, on head: NodeSession) async throws -> Autostop? {
        try await exchange("cluster=\(cluster)\n", on: head)
    }

    private static func exchange(_ request: String, on head: NodeSession) async throws -> Autostop? {
        let stream = try await head.connection.openStream(.autostop, request: ByteBuffer(string: request))
        var answer: Autostop?
        for await frame in stream.inbound {
            switch frame.kind {
            case .data:
                answer = Autostop(text: String(buffer: frame.payload))
            case .reset:
                let failure = try? StreamFailure(payload: frame.payload)
                if failure?.code == .unsupported {
                    throw NodeError(node: head.name, step: "autostop", "its agent is older than autostop; launch again to update it")
                }
                throw NodeError(node: head.name, step: "autostop", failure?.message ?? "failed")
            default:
                continue
            }
        }
        return answer
    }
}
