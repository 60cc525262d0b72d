/// The container CLI on a node, `podman` or `docker` (whichever it has;
/// `SWIFTLET_CONTAINER_RUNTIME` chooses), and every command line Swiftlet gives it: the two
/// drivers differ only here. Credentials live in the cluster's private directory on the node,
/// the working directory of the bring-up (so the paths here are relative), never in the
/// user's own `~/.docker` or `auth.json`.
public enum ContainerRuntime: String, Sendable, Codable, CaseIterable {
    case podman
    case docker

    /// `login`, the password read from stdin.
    public func login(_ login: RegistryLogin) -> [String] {
        let credentials = ["--username", login.username, "--password-stdin", login.server]
        switch self {
        case .podman: return ["podman", "login", "--authfile", "auth.json"] + credentials
        case .docker: return ["docker", "--config", ".", "login"] + credentials
        }
    }

    /// `pull` of `image`, with the credentials of an earlier ``login(_:)`` when `authenticated`.
    public func pull(_ image: ContainerImage, authenticated: Bool) -> [String] {
        switch (self, authenticated) {
        case (.podman, true): return ["podman", "pull", "--authfile", "auth.json", image.reference]
        case (.docker, true): return ["docker", "--config", ".", "pull", image.reference]
        case (_, false): return [rawValue, "pull", image.reference]
        }
    }

    /// Prints `image`'s WORKDIR (empty when it sets none); fails when the node does not hold it.
    public func workingDirectory(of image: ContainerImage) -> [String] {
        [rawValue, "image", "inspect", "--format", "{{.Config.WorkingDir}}", image.reference]
    }

    /// Prints the image a container of Swiftlet's was made from, and whether it runs; fails
    /// when there is no such container.
    public func describe(container name: String) -> [String] {
        [rawValue, "inspect", "--format", "{{index .Config.Labels \"\(Self.imageLabel)\"}} {{.State.Running}}", name]
    }

    /// The node's long-lived container: host networking, an init as PID 1 that reaps and passes
    /// signals, kept alive by the image's own `/bin/sh` waiting on a stdin that never ends (so
    /// the image needs nothing else, and its ENTRYPOINT does not run). Its user, ENV and WORKDIR
    /// are the image's. What only the host knows (the size of `/dev/shm`, the agent it lends)
    /// ``ContainerScript`` adds before `--entrypoint`.
    public func run(_ image: ContainerImage, name: String, cluster: String) -> [String] {
        [
            rawValue, "run", "--detach", "--interactive", "--init", "--name", name, "--network", "host",
            "--label", "\(Self.clusterLabel)=\(cluster)", "--label", "\(Self.imageLabel)=\(image.reference)",
            "--entrypoint", "/bin/sh", image.reference,
        ]
    }

    public func start(container name: String) -> [String] { [rawValue, "start", name] }

    /// The containers, running or stopped, that hold GPUs (they carry the label).
    public func gpuHolders() -> [String] {
        [rawValue, "ps", "--all", "--filter", "label=\(Self.gpusLabel)", "--format", "{{.Names}}"]
    }

    /// The GPUs (UUIDs, comma-separated) each container named after these words holds, a line each.
    public func gpusHeld() -> [String] {
        [rawValue, "inspect", "--format", "{{index .Config.Labels \"\(Self.gpusLabel)\"}}"]
    }

    /// A command in the running container, with stdin: what the agent is reached through.
    public func exec(container name: String, terminal: Bool = false) -> [String] {
        [rawValue, "exec", "--interactive"] + (terminal ? ["--tty"] : []) + [name]
    }

    /// Removes the container at once (its jobs were cancelled through the agent before).
    public func remove(container name: String) -> [String] {
        switch self {
        case .podman: return ["podman", "rm", "--force", "--time", "0", name]
        case .docker: return ["docker", "rm", "--force", name]
        }
    }

    static let clusterLabel = "swiftlet.cluster"
    static let imageLabel = "swiftlet.image"
    /// The GPUs a container was given, by UUID: no other container on its host gets them.
    static let gpusLabel = "swiftlet.gpus"
}
