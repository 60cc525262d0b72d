import Foundation
import SwiftletPOSIX

/// `$SWIFTLET_HOME/ssh/config`: one `Host` per node of every cluster (`CLUSTER` for the head,
/// `CLUSTER-worker1` and so on), each reached through `swiftlet proxy` with the home's key and
/// the cluster's pinned host key; and the one `Include` line in `~/.ssh/config` that makes
/// `ssh CLUSTER` (and scp, sftp, rsync, VS Code) find them, added on first use as SkyPilot adds
/// its own.
public struct SSHConfigFile: Sendable {
    public let keys: SSHKeys
    /// This program, as `ProxyCommand` runs it.
    public let program: String

    public init(home: SwiftletHome, program: String) {
        self.keys = SSHKeys(home: home)
        self.program = program
    }

    public var path: String { keys.directory + "/config" }

    static func hostKeyAlias(_ cluster: String) -> String { "swiftlet-\(cluster)" }

    /// The host name of node `rank` of `cluster`.
    public static func hostName(cluster: String, rank: Int) -> String {
        rank == 0 ? cluster : "\(cluster)-worker\(rank)"
    }

    /// The `Host` blocks for `clusters`.
    public func render(_ clusters: [ClusterRecord]) throws -> String {
        var text = "# Written by swiftlet: one Host per node of each cluster. Changes here are overwritten.\n"
        for cluster in clusters.sorted(by: { $0.name < $1.name }) {
            for rank in cluster.nodes.indices {
                text += """

                    Host \(Self.hostName(cluster: cluster.name, rank: rank))
                      HostName \(Self.hostName(cluster: cluster.name, rank: rank))
                      User \(Environment.userName)
                      IdentityFile \(Self.quoted(keys.clientKey))
                      IdentitiesOnly yes
                      HostKeyAlias \(Self.hostKeyAlias(cluster.name))
                      UserKnownHostsFile \(Self.quoted(keys.knownHosts))
                      StrictHostKeyChecking yes
                      ProxyCommand env SWIFTLET_HOME=\(ShellQuoting.quote(keys.home.path)) \(ShellQuoting.quote(program)) proxy \(cluster.name) --node \(rank)

                    """
            }
        }
        return text
    }

    /// Writes the config and the pinned host keys for `clusters`, making the keys it needs.
    public func write(_ clusters: [ClusterRecord]) throws {
        _ = try keys.clientPublicKey()
        let known = try clusters.sorted { $0.name < $1.name }.map { try keys.knownHostsLine(cluster: $0.name) }
        try AtomicFile.write(Array((known.joined(separator: "\n") + (known.isEmpty ? "" : "\n")).utf8), to: keys.knownHosts)
        try AtomicFile.write(Array(try render(clusters).utf8), to: path)
    }

    /// The line `~/.ssh/config` needs.
    public var includeLine: String { "Include \(Self.quoted(path))" }

    /// Adds ``includeLine`` at the top of `~/.ssh/config` (an Include must come before any
    /// `Host`), unless it is there; returns whether it added it.
    @discardableResult
    public func include(in userConfig: String = Environment.home + "/.ssh/config") throws -> Bool {
        let existing = (try? String(contentsOfFile: userConfig, encoding: .utf8)) ?? ""
        guard !existing.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces) == includeLine }) else {
            return false
        }
        try FileSystem.createDirectories(FileSystem.parent(of: userConfig))
        let text = "# Added by swiftlet: its clusters' hosts.\n\(includeLine)\n\n" + existing
        try AtomicFile.write(Array(text.utf8), to: userConfig, mode: 0o600)
        return true
    }

    /// A path as ssh_config reads it: quoted when it has a space.
    static func quoted(_ path: String) -> String {
        path.contains(" ") ? "\"\(path)\"" : path
    }
}
