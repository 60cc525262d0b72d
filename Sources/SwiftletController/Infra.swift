/// Where a cluster's nodes come from: `local` (agent processes on this machine) or `ssh/POOL`.
public enum Infra: Sendable, Equatable, CustomStringConvertible {
    case local
    case ssh(pool: String)

    public init(parsing text: String) throws {
        if text == "local" {
            self = .local
        } else if text.hasPrefix("ssh/"), text.count > 4 {
            self = .ssh(pool: String(text.dropFirst(4)))
        } else if text == "ssh" {
            throw ControllerError("--infra ssh needs a pool name: ssh/POOL (pools are in ~/.swiftlet/ssh_node_pools.yaml)")
        } else {
            throw ControllerError("unknown infra '\(text)': use 'local' or 'ssh/POOL' (Kubernetes is not supported yet)")
        }
    }

    public var description: String {
        switch self {
        case .local: "local"
        case .ssh(let pool): "ssh/\(pool)"
        }
    }

    /// Picks `count` nodes for a new cluster.
    func allocate(count: Int, cluster: String, home: SwiftletHome) throws -> [NodeAddress] {
        switch self {
        case .local:
            return (0..<count).map { .local(home: home.localNode(cluster: cluster, index: $0)) }
        case .ssh(let pool):
            let pools = try NodePoolFile.load(path: home.nodePools)
            guard let hosts = pools.pools[pool] else {
                let known = pools.pools.keys.sorted().joined(separator: ", ")
                throw ControllerError("no pool '\(pool)' in \(home.nodePools) (pools: \(known))")
            }
            guard hosts.count >= count else {
                throw ControllerError("pool '\(pool)' has \(hosts.count) hosts; the task needs \(count)")
            }
            return hosts.prefix(count).map { .ssh($0) }
        }
    }
}
