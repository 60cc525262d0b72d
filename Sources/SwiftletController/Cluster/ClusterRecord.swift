import Foundation
import SwiftletPOSIX

/// What the controller remembers of a cluster.
public struct ClusterRecord: Codable, Sendable, Equatable {
    public var name: String
    /// Where the nodes came from (stored as `local`, `ssh/POOL`).
    public var infra: Infra
    /// Nodes in rank order, head first.
    public var nodes: [NodeAddress]
    /// When the cluster was created, ISO 8601 in UTC.
    public var created: String
    /// Id of the last job submitted (0 before the first).
    public var lastJobID: Int
    /// State of the last job as this controller last saw it, if any: a final state when it
    /// followed the job to its end, `SUBMITTED` or `DETACHED` when it did not.
    public var lastJobStatus: String?
    /// Task names of jobs by id, for `swiftlet logs` prefixes.
    public var jobNames: [String: String]?
    /// The `envs` of the last task launched, for `swiftlet shell` (never its secrets, nor the
    /// registry password).
    public var taskEnvs: [String: String]?
    /// Its autostop as last set (`launch -i N [--down]`, `swiftlet autostop`); nil: none.
    public var autostop: AutostopSetting?
    /// Its nodes' resources as `status` shows them (`2x (cpus=2, mem=23.4)`), from the head.
    public var resources: String?
    /// Set once its head node's autostop stopped it (STOPPED); its next job makes it UP again.
    public var stopped: Bool?

    /// Idle minutes before the head node stops the cluster, and whether it then tears it down.
    public struct AutostopSetting: Codable, Sendable, Equatable {
        public var minutes: Int
        public var down: Bool

        public init(minutes: Int, down: Bool) {
            self.minutes = minutes
            self.down = down
        }

        /// As SkyPilot's AUTOSTOP column shows it: `10m`, `2h (down)`.
        public var text: String {
            (minutes > 0 && minutes % 60 == 0 ? "\(minutes / 60)h" : "\(minutes)m") + (down ? " (down)" : "")
        }
    }

    public init(
        name: String,
        infra: Infra,
        nodes: [NodeAddress],
        created: String = UTCTime.iso8601(secondsSinceEpoch: Int(time(nil))),
        lastJobID: Int = 0
    ) {
        self.name = name
        self.infra = infra
        self.nodes = nodes
        self.created = created
        self.lastJobID = lastJobID
    }
}

/// Cluster records as one JSON file each under `$SWIFTLET_HOME/clusters/`, written atomically.
public struct ClusterStore: Sendable {
    /// A record that is there but does not read (damaged, or written by a newer build).
    public struct UnreadableRecord: Error, CustomStringConvertible {
        public var name: String
        public var file: String
        public var reason: String

        public var description: String {
            "cluster state \(file) is unreadable (\(reason)); 'swiftlet down \(name)' forgets it"
        }
    }

    public let home: SwiftletHome

    public init(home: SwiftletHome) {
        self.home = home
    }

    /// The record's file; every command reaches it through here, so a name that is not a
    /// cluster's (`../../victim`) never names a file outside the store.
    private func file(_ name: String) throws -> String {
        try Self.validate(name: name)
        return home.clusters + "/\(name).json"
    }

    public func load(_ name: String) throws -> ClusterRecord? {
        let file = try file(name)
        guard let bytes = FileSystem.bytes(of: file) else { return nil }
        do {
            return try decoder.decode(ClusterRecord.self, from: Data(bytes))
        } catch {
            throw UnreadableRecord(name: name, file: file, reason: "\(error)")
        }
    }

    public func save(_ record: ClusterRecord) throws {
        try home.ensure(home.clusters)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(record)), to: try file(record.name))
    }

    /// Runs `body` holding the store's lock, so that the read-modify-write of one command (say,
    /// taking the next job id) never interleaves with another's.
    public func locked<T>(_ body: () throws -> T) throws -> T {
        try home.ensure(home.clusters)
        let lock = try FileLock(waitingOn: home.clusters + "/.lock")
        defer { lock.release() }
        return try body()
    }

    /// ``locked(_:)`` for work that waits (bringing a new cluster's nodes up): the lock is held
    /// across it, so a second launch of the same new name waits and finds the cluster made.
    public func locked<T>(_ body: () async throws -> T) async throws -> T {
        try home.ensure(home.clusters)
        let lock = try FileLock(waitingOn: home.clusters + "/.lock")
        defer { lock.release() }
        return try await body()
    }

    public func remove(_ name: String) throws {
        try? FileManager.default.removeItem(atPath: try file(name))
    }

    /// Every cluster whose record reads; the others are named in `unreadable` with why, so one
    /// damaged file never hides the rest.
    public func all() -> (clusters: [ClusterRecord], unreadable: [String]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: home.clusters)) ?? []
        var clusters: [ClusterRecord] = []
        var unreadable: [String] = []
        for name in names.filter({ $0.hasSuffix(".json") }).sorted().map({ String($0.dropLast(5)) }) {
            do {
                if let record = try load(name) { clusters.append(record) }
            } catch {
                unreadable.append("\(error)")
            }
        }
        return (clusters, unreadable)
    }

    private var decoder: JSONDecoder { JSONDecoder() }

    /// Cluster names become file and directory names, so they are kept to a safe alphabet.
    public static func validate(name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard !name.isEmpty, name.count <= 63, name.allSatisfy(allowed.contains), !name.hasPrefix(".") else {
            throw ControllerError("invalid cluster name '\(name)': use letters, digits, '-', '_' and '.' (at most 63)")
        }
    }
}
