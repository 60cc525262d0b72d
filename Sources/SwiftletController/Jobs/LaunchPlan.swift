import SwiftletGPU
import SwiftletTask

/// `launch --dryrun`: what a launch would do, checked as the launch checks it, with nothing
/// changed: no node provisioned or reached, no record written, no job id taken.
public struct LaunchPlan: Sendable, Equatable {
    public var lines: [String]

    public init(_ job: JobRunner.Job, cluster name: String, infra requested: Infra?, home: SwiftletHome) throws {
        try ClusterStore.validate(name: name)
        try JobRunner.checkRequest(of: job.task)
        let task = job.task
        let existing = try ClusterStore(home: home).load(name)
        let infra: Infra
        let nodes: Int
        if let existing {
            if let requested, existing.infra != requested {
                throw ControllerError("cluster '\(name)' is on \(existing.infra), not \(requested); use another -c name")
            }
            (infra, nodes) = (existing.infra, existing.nodes.count)
            lines = ["Cluster '\(name)' exists on \(infra) (\(nodes) node\(nodes == 1 ? "" : "s")); it would be reused."]
        } else {
            infra = try requested ?? task.resources.infra.map { try Infra(parsing: $0) } ?? .local
            nodes = job.nodeCount ?? task.numNodes
            lines = ["Cluster '\(name)' would be made on \(infra) (\(nodes) node\(nodes == 1 ? "" : "s"))."]
        }
        let ranks = job.nodeCount ?? task.numNodes
        if let image = task.resources.imageID, image.hasPrefix("docker:") {
            lines.append("Each node would run it in a container of \(image.dropFirst(7)).")
        }
        if let workdir = task.workdir { lines.append("\(workdir) would be synced to ~/sky_workdir on each node.") }
        for (target, source) in task.fileMounts.sorted(by: { $0.key < $1.key }) { lines.append("\(source) would be synced to \(target).") }
        let fit = TaskFit(task)
        var demand = ["CPU:\(TaskFit.amount(Double(job.milliCPUs) / 1000))"]
        if let memory = fit.memory { demand.append("memory:\(memory.text)") }
        if !fit.gpus.isEmpty { demand.append(GPURequest.text(fit.gpus)) }
        let name = task.name.map { "'\($0)' " } ?? ""
        switch (task.setup != nil && job.runSetup, task.run != nil) {
        case (true, true):
            lines.append(
                "Task \(name)would run its setup, then its run, on \(ranks) node(s), each holding \(demand.joined(separator: ", "))."
            )
        case (true, false): lines.append("Task \(name)would run its setup on \(ranks) node(s); it has no run.")
        case (false, true): lines.append("Task \(name)would run on \(ranks) node(s), each holding \(demand.joined(separator: ", ")).")
        case (false, false): lines.append("There is nothing to run.")
        }
        if let autostop = job.autostop { lines.append("Its autostop would be \(autostop.text).") }
        lines.append("Dryrun finished: nothing was changed.")
    }
}
