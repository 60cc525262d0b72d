import Foundation

/// The controller's own state directory: `$SWIFTLET_HOME`, default `~/.swiftlet`.
public struct SwiftletHome: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public static func fromEnvironment() -> SwiftletHome {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SWIFTLET_HOME"], !path.isEmpty { return SwiftletHome(path: path) }
        return SwiftletHome(path: NSHomeDirectory() + "/.swiftlet")
    }

    public var clusters: String { path + "/clusters" }
    public var sshControl: String { path + "/ssh" }
    public var nodePools: String { path + "/ssh_node_pools.yaml" }

    /// The home directory of local node `index` of `cluster`.
    public func localNode(cluster: String, index: Int) -> String {
        path + "/local/\(cluster)/node\(index)"
    }

    public func localCluster(_ cluster: String) -> String { path + "/local/\(cluster)" }

    func ensure(_ directory: String) throws {
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
    }
}
