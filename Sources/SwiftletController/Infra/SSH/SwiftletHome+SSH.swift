import Foundation
import SwiftletPOSIX

extension SwiftletHome {
    /// ssh's state for the nodes: `known_hosts` (and, by default, its sockets).
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
}
