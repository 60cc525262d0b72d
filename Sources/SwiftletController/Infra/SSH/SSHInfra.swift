/// `--infra ssh/POOL`: hosts from `$SWIFTLET_HOME/ssh_node_pools.yaml` (SkyPilot's format),
/// taken in the order the pool lists them. Releasing them leaves the hosts as they are.
public struct SSHInfra: NodeProvider {
    static let entry = InfraRegistry.Entry(
        kind: "ssh",
        argumentName: "POOL",
        argumentHint: "pools are in ~/.swiftlet/ssh_node_pools.yaml",
        transports: [SSHTransport.self],
        provider: { infra in SSHInfra(pool: infra.argument ?? "") }
    )

    public var pool: String

    public var infra: Infra { Infra(kind: Self.entry.kind, argument: pool) }

    public func provision(count: Int, cluster: String, home: SwiftletHome) async throws -> [NodeAddress] {
        let hosts = try hosts(home: home)
        guard hosts.count >= count else {
            throw ControllerError("pool '\(pool)' has \(hosts.count) hosts; the task needs \(count)")
        }
        return hosts.prefix(count).map { .ssh($0) }
    }

    public func release(cluster: String, nodes: [NodeAddress], home: SwiftletHome) async {}

    /// Every host of the pool.
    public func allNodes(home: SwiftletHome) async throws -> [NodeAddress] {
        try hosts(home: home).map { .ssh($0) }
    }

    private func hosts(home: SwiftletHome) throws -> [SSHHost] {
        let pools = try NodePoolFile.load(path: home.nodePools)
        guard let hosts = pools.pools[pool] else {
            let known = pools.pools.keys.sorted().joined(separator: ", ")
            throw ControllerError("no pool '\(pool)' in \(home.nodePools) (pools: \(known))")
        }
        return hosts
    }
}
