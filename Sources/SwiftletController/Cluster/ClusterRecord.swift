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
    /// State of the last job as the controller saw it, if any.
    public var lastJobStatus: String?
    /// Task names of jobs by id, for `swiftlet logs` prefixes.
    public var jobNames: [String: String]?

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
    public let home: SwiftletHome

    public init(home: SwiftletHome) {
        self.home = home
    }

    private func file(_ name: String) -> String { home.clusters + "/\(name).json" }

    public func load(_ name: String) throws -> ClusterRecord? {
        guard let bytes = FileSystem.bytes(of: file(name)) else { return nil }
        do {
            return try decoder.decode(ClusterRecord.self, from: Data(bytes))
        } catch {
            throw ControllerError("cluster state \(file(name)) is unreadable: \(error)")
        }
    }

    public func save(_ record: ClusterRecord) throws {
        try home.ensure(home.clusters)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(record)), to: file(record.name))
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
        try? FileManager.default.removeItem(atPath: file(name))
    }

    public func all() throws -> [ClusterRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: home.clusters)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted().compactMap { try load(String($0.dropLast(5))) }
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
