import SwiftletGPU
import SwiftletProtocol
import SwiftletTask

/// What a task asks of each node's GPUs, from `resources.accelerators` (and `any_of` /
/// `ordered`): the choices in SkyPilot's order, any one of which will do.
enum TaskGPUs {
    /// Empty when the task needs no GPU (also when one of its choices asks for none).
    static func choices(of task: TaskSpec) -> [GPURequest] {
        var choices: [GPURequest] = []
        for resources in task.resourceChoices {
            guard !resources.accelerators.isEmpty else { return [] }
            for (model, count) in resources.accelerators.sorted(by: { $0.key < $1.key }) {
                choices.append(GPURequest(models: [model], count: count))
            }
        }
        return choices
    }

    /// Checks, before anything runs, that every node has what the task asks for; the error
    /// names the first node that does not and what it has.
    static func check(_ task: TaskSpec, on sessions: [NodeSession]) async throws {
        let choices = choices(of: task)
        guard !choices.isEmpty else { return }
        // One question per node, all at once.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask {
                    let state = try await NodeInspection.state(on: session)
                    if case .failure(let unmet) = GPURequest.pick(choices, on: state.gpuList.map(\.device)) {
                        throw NodeError(node: session.name, step: "gpus", unmet.description)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

extension NodeState.GPU {
    /// The GPU as the GPU model reads it.
    var device: GPUDevice {
        GPUDevice(
            vendor: GPUVendor(rawValue: vendor) ?? .nvidia,
            index: index,
            uuid: uuid,
            name: name,
            model: model,
            memoryMiB: memoryMiB
        )
    }
}
