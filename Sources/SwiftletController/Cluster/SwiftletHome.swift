import Foundation
import SwiftletPOSIX

/// The controller's own state directory: `$SWIFTLET_HOME`, default `~/.swiftlet`.
public struct SwiftletHome: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public static func fromEnvironment() -> SwiftletHome {
        if let path = SwiftletConfiguration.process.home { return SwiftletHome(path: path) }
        return SwiftletHome(path: Environment.home + "/.swiftlet")
    }

    public var clusters: String { path + "/clusters" }
    /// ssh's state for the nodes: `known_hosts`, the transports' stderr files.
    public var sshControl: String { path + "/ssh" }

    /// Where ssh keeps its ControlMaster sockets: `<home>/ssh`, unless the home is so deep that a
    /// socket there would not fit in a Unix socket address (ssh binds `<%C: 40 hex>.<16 random>`
    /// there, and the address holds 107 bytes). Then a private directory of this user in /tmp.
    public var sshSockets: String {
        let suffix = 1 + 40 + 17
        if sshControl.utf8.count + suffix <= 107 { return sshControl }
        return "/tmp/swiftlet-ssh-\(getuid())/" + SHA256Digest.hex(of: Array(path.utf8)).prefix(12)
    }

    /// Creates ``sshSockets``. A directory in /tmp must be this user's own and private, or
    /// another user could listen there in ssh's place.
    func ensureSSHSockets() throws {
        let sockets = sshSockets
        guard sockets != sshControl else { return try ensure(sockets) }
        let parent = FileSystem.parent(of: sockets)
        for directory in [parent, sockets] {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw ControllerError("cannot create \(directory) for ssh's sockets: \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid(),
                info.st_mode & 0o077 == 0
            else {
                throw ControllerError("\(directory) (for ssh's sockets) must be a directory of your own that only you can open")
            }
        }
    }
    public var nodePools: String { path + "/ssh_node_pools.yaml" }

    /// The home directory of local node `index` of `cluster`.
    public func localNode(cluster: String, index: Int) -> String {
        path + "/local/\(cluster)/node\(index)"
    }

    public func localCluster(_ cluster: String) -> String { path + "/local/\(cluster)" }

    func ensure(_ directory: String) throws {
        // Most calls find it there: one syscall, not FileManager's attribute dictionary (whose
        // first use costs a conformance scan of the whole binary).
        if mkdir(directory, 0o700) == 0 || errno == EEXIST { return }
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
    }
}
