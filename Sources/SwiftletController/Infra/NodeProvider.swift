/// Where a cluster's nodes come from: it brings them up (asynchronously: a pod, a Slurm
/// allocation or a container exists only once asked for), says how to reach each one, and
/// releases them when the cluster goes down. One per infra, made by ``InfraRegistry``.
public protocol NodeProvider: Sendable {
    /// The infra as a user names it (`local`, `ssh/POOL`).
    var infra: Infra { get }

    /// Brings `count` nodes up for `cluster`; returns how to reach each, in rank order, head
    /// first. Throws a message that names the infra and what is missing.
    func provision(count: Int, cluster: String, home: SwiftletHome) async throws -> [NodeAddress]

    /// Gives the cluster's nodes back once its jobs were cancelled through their agents: stops
    /// what this infra started for them and removes what it made. Never throws: `down` forgets
    /// the cluster anyway.
    func release(cluster: String, nodes: [NodeAddress], home: SwiftletHome) async

    /// Every node this infra has now (see the extension's default).
    func allNodes(home: SwiftletHome) async throws -> [NodeAddress]
}

extension NodeProvider {
    /// Every node this infra has now, whether a cluster uses it or not, to ask what it holds
    /// (`swiftlet gpus --infra`). Infras that make their nodes per cluster have none to list.
    public func allNodes(home: SwiftletHome) async throws -> [NodeAddress] {
        throw ControllerError("infra \(infra) has no nodes of its own to list; name a cluster instead")
    }
}
