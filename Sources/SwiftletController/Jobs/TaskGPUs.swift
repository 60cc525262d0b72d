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
