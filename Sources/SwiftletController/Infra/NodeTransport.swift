import SwiftletPOSIX

/// How the controller reaches one node's agent: the process that runs a POSIX `sh` snippet on
/// the node with its stdin and stdout joined to ours (`ssh -T host`, `kubectl exec -i`,
/// `docker exec -i`, a local `/bin/sh`), and how that process's failures read to a user.
///
/// A transport is plain data (it is stored in cluster records and handed to keepers as JSON);
/// each kind is listed once in ``InfraRegistry/transports``. Transports compose: one whose
/// command must itself run on another node (a container on an SSH host) asks that node's
/// transport to run its command line as the snippet (see ``CommandTransport``).
public protocol NodeTransport: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The registry key this transport is stored under: `local`, `ssh`, `command`.
    static var kind: String { get }

    /// The address other nodes reach this one at (for `SKYPILOT_NODE_IPS`).
    var ip: String { get }

    /// A few words that tell the node apart in messages: `node 1 (<label>)`.
    var label: String { get }

    /// The process that runs `script` on the node.
    func launch(_ script: String, home: SwiftletHome) throws -> TransportLaunch

    /// The process that runs `script` on the node on a terminal of the transport's own, joined
    /// to this process's terminal (`ssh -tt`): an interactive `shell` then crosses the
    /// transport's processes alone, as fast as the transport is. Nil (the default) when this kind
    /// of transport has none; the agent's terminal stream carries the shell then.
    func terminalLaunch(_ script: String, home: SwiftletHome) throws -> TransportLaunch?

    /// Names what went wrong when the transport ended before the agent's hello, where this kind
    /// of transport can tell (ssh's own exit 255); nil leaves it to the generic reading.
    func classify(exitStatus: ChildReaper.Termination?, stderr: String, node: String, detail: String) -> NodeError?

    /// Where a step of a task without a `workdir` starts on this node (a container image's
    /// WORKDIR); by default nil, `~/sky_workdir`.
    var jobWorkingDirectory: String? { get }

    /// Removes what this transport made on its node for `cluster` (a container and its
    /// credentials), once the cluster's jobs were cancelled; by default nothing. Never throws:
    /// `down` forgets the cluster anyway.
    func remove(cluster: String, home: SwiftletHome) async

    /// Reads the form builds before the registry stored: the transport under its kind
    /// (`{"local": {"home": ...}}`). By default the same fields as now.
    init(legacy decoder: any Decoder) throws
}

extension NodeTransport {
    public init(legacy decoder: any Decoder) throws {
        try self.init(from: decoder)
    }

    public func classify(exitStatus: ChildReaper.Termination?, stderr: String, node: String, detail: String) -> NodeError? { nil }

    public func remove(cluster: String, home: SwiftletHome) async {}

    public func terminalLaunch(_ script: String, home: SwiftletHome) throws -> TransportLaunch? { nil }

    public var jobWorkingDirectory: String? { nil }
}

/// A process to spawn on this machine: its argv, what it adds to our environment, and where it
/// starts.
public struct TransportLaunch: Sendable, Equatable {
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: String?

    public init(arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}
