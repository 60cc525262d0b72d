import SwiftletGPU
import SwiftletPOSIX
import SwiftletTask

extension ContainerBringUp {
    /// The bring-up `task` asks for on `cluster`: nil when it names no container image. Its
    /// login comes from `SKYPILOT_DOCKER_*` in its envs and secrets (`--env` and `--secret`
    /// included); the runtime from `SWIFTLET_CONTAINER_RUNTIME`.
    public init?(task: TaskSpec, cluster: String, home: SwiftletHome, configuration: SwiftletConfiguration = .process) throws {
        guard let imageID = task.resources.imageID, imageID.hasPrefix("docker:") else { return nil }
        var values: [String: String] = [:]
        for variable in task.envs + task.secrets { values[variable.key] = variable.value }
        let login = try RegistryLogin(values)
        guard let image = ContainerImage(imageID: imageID, login: login) else {
            throw ControllerError("resources.image_id: '\(imageID)' names no image; use docker:IMAGE[:TAG]")
        }
        self.init(
            image: image,
            login: login,
            runtime: configuration.containerRuntime.flatMap(ContainerRuntime.init(rawValue:)),
            cluster: cluster,
            home: home
        )
        gpus = GPURequest.text(TaskGPUs.choices(of: task))
    }

    /// Refuses a launch whose image is not the one the cluster's containers run, or that asks
    /// for an image on a cluster whose nodes run without one: both images are named.
    public static func check(_ bringUp: ContainerBringUp?, against nodes: [NodeAddress], cluster: String) throws {
        let running = nodes.compactMap { ($0.transport as? ContainerTransport)?.image }.first
        switch (bringUp?.image.reference, running) {
        case (let wanted?, let existing?) where wanted != existing:
            throw ControllerError(
                "cluster '\(cluster)' runs the image \(existing); the task asks for \(wanted): "
                    + "take it down first ('swiftlet down \(cluster)') or use another -c name"
            )
        case (let wanted?, nil):
            throw ControllerError(
                "cluster '\(cluster)' runs on its nodes without a container; the task asks for the image \(wanted): "
                    + "use another -c name"
            )
        default:
            return
        }
    }
}

extension NodeAddress {
    /// The node this one runs on: a container's host, else the node itself.
    public var host: NodeAddress {
        (transport as? ContainerTransport)?.host ?? self
    }
}
