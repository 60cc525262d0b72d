import Foundation
import SwiftletPOSIX
import SwiftletProtocol

/// `swiftlet down`: forgets a cluster and removes what it left on this machine.
public struct ClusterTeardown: Sendable {
    public let home: SwiftletHome

    public init(home: SwiftletHome) {
        self.home = home
    }

    public func down(_ name: String) async throws {
        let store = ClusterStore(home: home)
        guard let record = try store.load(name) else {
            throw ControllerError("no cluster '\(name)'; see 'swiftlet status'")
        }
        for node in record.nodes { ConnectionKeeper.stop(home: home, address: node) }
        if record.infra == Infra.local.description {
            // A local node is a directory with its own daemon: its jobs and the daemon stop first.
            for node in record.nodes {
                if case .local(let nodeHome) = node { Self.stopLocalNode(home: nodeHome, cluster: name) }
            }
            try? FileManager.default.removeItem(atPath: home.localCluster(name))
        }
        try? FileManager.default.removeItem(atPath: DetachedGang.directory(home: home, cluster: name))
        try store.remove(name)
    }

    /// Kills the process trees of the node's unfinished jobs and stops its daemon (each checked
    /// against its recorded start time, so a reused pid is never hit).
    static func stopLocalNode(home nodeHome: String, cluster: String) {
        let jobs = nodeHome + "/.swiftlet/jobs/" + cluster
        for id in (try? FileManager.default.contentsOfDirectory(atPath: jobs)) ?? [] {
            guard let record = JobRecord(text: FileSystem.contents(of: "\(jobs)/\(id)/job")), !record.state.isFinal, record.pid > 0 else {
                continue
            }
            if ProcessIdentity(pid: record.pid, startTime: record.pidStartTime).isRunning { kill(-record.pid, SIGKILL) }
        }
        if let daemon = DaemonRecord.running(home: nodeHome) { kill(daemon.process.pid, SIGTERM) }
    }
}
