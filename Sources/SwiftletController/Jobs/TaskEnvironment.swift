import Foundation
import SwiftletPOSIX
import SwiftletTask

/// The environment a task's setup and run see, with SkyPilot's names and formats.
public struct TaskEnvironment: Sendable {
    public let cluster: String
    public let infra: String
    /// Node addresses in rank order, head first.
    public let nodeIPs: [String]
    public let jobID: Int
    public let taskID: String
    public let user: String
    public let gpusPerNode: Int

    public init(cluster: String, infra: String, nodeIPs: [String], jobID: Int, submitted: Date, user: String, gpusPerNode: Int) {
        self.cluster = cluster
        self.infra = infra
        self.nodeIPs = nodeIPs
        self.jobID = jobID
        self.user = user
        self.gpusPerNode = gpusPerNode
        self.taskID = "sky-\(Self.timestamp(submitted))_\(cluster)_\(jobID)"
    }

    /// `YYYY-MM-DD-HH-MM-SS-ffffff` in UTC, as in SkyPilot's task ids.
    static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let parts = UTCTime.components(Int(seconds))
        let micros = Int((date.timeIntervalSince1970 - seconds) * 1_000_000)
        return [
            UTCTime.pad(parts.year, 4), UTCTime.pad(parts.month, 2), UTCTime.pad(parts.day, 2),
            UTCTime.pad(parts.hour, 2), UTCTime.pad(parts.minute, 2), UTCTime.pad(parts.second, 2),
            UTCTime.pad(micros, 6),
        ].joined(separator: "-")
    }

    /// JSON as Python's `json.dumps` writes it (SkyPilot's tools read it with Python). Built
    /// without JSONSerialization, whose dynamic casts cost a millisecond in a static binary.
    var clusterInfo: String {
        PythonJSON.object([
            "cluster_name": .string(cluster),
            "cloud": .string(infra),
            "num_nodes": .number(Double(nodeIPs.count)),
            "head_ip": .string(nodeIPs.first ?? ""),
            "ips": .array(nodeIPs.map(PythonJSON.string)),
        ]).text
    }

    private var common: [String: String] {
        [
            "SKYPILOT_NUM_NODES": String(nodeIPs.count),
            "SKYPILOT_TASK_ID": taskID,
            "SKYPILOT_CLUSTER_INFO": clusterInfo,
            "SKYPILOT_USER": user,
        ]
    }

    /// What `setup` sees on node `rank`; the task's envs and secrets win over nothing here.
    public func setup(rank: Int, task: TaskSpec) -> [String: String] {
        var environment = taskVariables(task)
        environment.merge(common) { _, ours in ours }
        environment["SKYPILOT_SETUP_NODE_RANK"] = String(rank)
        environment["SKYPILOT_SETUP_NODE_IPS"] = nodeIPs.joined(separator: "\n")
        environment["SKYPILOT_SETUP_NUM_GPUS_PER_NODE"] = String(gpusPerNode)
        return environment
    }

    /// What `run` sees on rank `rank`.
    public func run(rank: Int, task: TaskSpec) -> [String: String] {
        var environment = taskVariables(task)
        environment.merge(common) { _, ours in ours }
        environment["SKYPILOT_NODE_RANK"] = String(rank)
        environment["SKYPILOT_NODE_IPS"] = nodeIPs.joined(separator: "\n")
        environment["SKYPILOT_NUM_GPUS_PER_NODE"] = String(gpusPerNode)
        environment["SKYPILOT_INTERNAL_JOB_ID"] = String(jobID)
        environment["PYTHONUNBUFFERED"] = "1"
        return environment
    }

    /// The task's envs and secrets; the registry password only when the task gives it as a
    /// secret (in `envs` it is there for the container login, not for the job).
    private func taskVariables(_ task: TaskSpec) -> [String: String] {
        var environment: [String: String] = [:]
        for variable in task.envs where variable.key != RegistryLogin.passwordKey { environment[variable.key] = variable.value }
        for variable in task.secrets { environment[variable.key] = variable.value }
        return environment
    }
}
