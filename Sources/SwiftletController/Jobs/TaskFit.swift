import SwiftletGPU
import SwiftletProtocol
import SwiftletTask

/// Whether each node can hold what a task asks of it, checked before a job id is taken: its
/// GPUs (`accelerators`, any one choice), CPUs and memory (`cpus`, `memory`, SkyPilot's forms;
/// a node Swiftlet did not pick gives what it has, so `4` reads as at least 4, like `4+`).
struct TaskFit: Sendable, Equatable {
    var gpus: [GPURequest]
    var cpus: ResourceQuantity?
    var memory: ResourceQuantity?

    init(_ task: TaskSpec) {
        gpus = TaskGPUs.choices(of: task)
        cpus = task.resources.cpus.flatMap { try? ResourceQuantity.cpus($0) }
        memory = task.resources.memory.flatMap { try? ResourceQuantity.memory($0) }
    }

    var asksAnything: Bool { !gpus.isEmpty || cpus != nil || memory != nil }

    /// What `state`'s node lacks, in words ("the job needs 64 GB of memory; this node has
    /// 23.4 GB"); nil when it has enough.
    func unmet(on state: NodeState) -> String? {
        if !gpus.isEmpty, case .failure(let unmet) = GPURequest.pick(gpus, on: state.gpuList.map(\.device)) {
            return unmet.description
        }
        if let cpus, Double(state.milliCPUs) / 1000 < cpus.amount {
            return "the job needs \(cpus.text) CPUs; this node has \(Self.amount(Double(state.milliCPUs) / 1000))"
        }
        if let memory, let mebibytes = state.memoryMiB, Double(mebibytes) / 1024 < memory.amount {
            return "the job needs \(Self.amount(memory.amount)) GB of memory; this node has \(Self.amount(Double(mebibytes) / 1024)) GB"
        }
        return nil
    }

    /// Asks every node at once; the error names the first node that lacks something.
    static func check(_ task: TaskSpec, on sessions: [NodeSession]) async throws {
        let fit = TaskFit(task)
        guard fit.asksAnything else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask {
                    if let unmet = fit.unmet(on: try await NodeInspection.state(on: session)) {
                        throw NodeError(node: session.name, step: "resources", unmet)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// `2`, `0.5`, `23.4`: at most one decimal.
    static func amount(_ value: Double) -> String {
        let tenths = (value * 10).rounded(.down) / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }
}
