import Foundation

/// A cluster as `status` lists it. Its JSON uses the field names of SkyPilot's status records
/// (`name`, `launched_at`, `status`, `autostop`, `to_down`, `nodes`, `resources_str`), with
/// Swiftlet's own beside them (`infra`, `last_job_id`, `last_job_status`).
public struct ClusterSummary: Codable, Sendable, Equatable {
    public var name: String
    /// Seconds since the epoch.
    public var launchedAt: Int
    /// UP, STOPPED (its autostop stopped it), or INIT (its head node did not answer a refresh).
    public var status: String
    /// Idle minutes before autostop; -1: none.
    public var autostop: Int
    public var toDown: Bool
    public var nodes: Int
    public var resources: String?
    public var infra: String
    public var lastJobID: Int
    public var lastJobStatus: String?

    enum CodingKeys: String, CodingKey {
        case name, launchedAt = "launched_at", status, autostop, toDown = "to_down", nodes, resources = "resources_str", infra
        case lastJobID = "last_job_id", lastJobStatus = "last_job_status"
    }

    public init(_ record: ClusterRecord, status: String? = nil) {
        name = record.name
        launchedAt = Int(ISO8601DateFormatter().date(from: record.created)?.timeIntervalSince1970 ?? 0)
        self.status = status ?? (record.stopped == true ? "STOPPED" : "UP")
        autostop = record.autostop?.minutes ?? -1
        toDown = record.autostop?.down ?? false
        nodes = record.nodes.count
        resources = record.resources
        infra = record.infra.description
        lastJobID = record.lastJobID
        lastJobStatus = record.lastJobStatus
    }
}
