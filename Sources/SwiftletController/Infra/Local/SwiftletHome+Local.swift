extension SwiftletHome {
    /// The home directory of local node `index` of `cluster`.
    public func localNode(cluster: String, index: Int) -> String {
        path + "/local/\(cluster)/node\(index)"
    }

    /// The agent builds every local node runs (each node's `~/.swiftlet/agent` links here).
    public var localAgents: String { path + "/local/agents" }

    /// Where the local nodes of `cluster` live.
    public func localCluster(_ cluster: String) -> String { path + "/local/\(cluster)" }
}
