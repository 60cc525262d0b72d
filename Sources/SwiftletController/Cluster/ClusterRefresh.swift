import Foundation
import SwiftletProtocol

/// What a cluster's head node says of it now (`status --refresh`; plain `status` for clusters
/// with an autostop, as SkyPilot refreshes those): whether its autostop fired, and whether it
/// answers at all.
public struct ClusterRefresh: Sendable {
    public enum Finding: Sendable, Equatable {
        case up
        /// Its autostop stopped it (the record now says STOPPED).
        case stopped
        /// Its autostop tore it down on the node; this controller should forget it too.
        case tornDown(minutes: Int)
        /// The head node did not answer: why.
        case unreachable(String)
    }

    public let connector: NodeConnector

    public init(connector: NodeConnector) {
        self.connector = connector
    }

    /// Asks the head node; the record says STOPPED while its autostop has it stopped.
    public func refresh(_ record: ClusterRecord) async -> Finding {
        guard let head = record.nodes.first else { return .unreachable("it has no nodes") }
        let autostop: Autostop?
        do {
            autostop = try await connector.withSession(to: head, name: JobRunner.nodeName(rank: 0, node: head)) { session in
                try await AutostopControl.query(cluster: record.name, on: session)
            }
        } catch {
            return .unreachable("\(error)")
        }
        let finding: Finding
        if let autostop, autostop.firedAt > 0 {
            finding = autostop.down ? .tornDown(minutes: autostop.minutes) : .stopped
        } else {
            finding = .up
        }
        // The record says STOPPED exactly while the head node says so.
        let stopped = finding == .stopped ? true : nil
        if record.stopped != stopped {
            let store = ClusterStore(home: connector.home)
            try? store.locked {
                guard var current = try store.load(record.name) else { return }
                current.stopped = stopped
                try store.save(current)
            }
        }
        return finding
    }
}
