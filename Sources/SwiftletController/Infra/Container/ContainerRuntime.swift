/// The container CLI on a node, `podman` or `docker` (whichever it has;
/// `SWIFTLET_CONTAINER_RUNTIME` chooses), and the command lines Swiftlet gives it. Credentials
/// live in a private directory per cluster on the node, never in the user's own config.
public enum ContainerRuntime: String, Sendable, CaseIterable {
    case podman
    case docker

    /// `login` into `authDirectory` (0700, made by the caller), the password read from stdin.
    public func login(_ login: RegistryLogin, authDirectory: String) -> [String] {
        let credentials = ["--username", login.username, "--password-stdin", login.server]
        switch self {
        case .podman: return ["podman", "login", "--authfile", authDirectory + "/auth.json"] + credentials
        case .docker: return ["docker", "--config", authDirectory, "login"] + credentials
        }
    }

    /// `pull` of `image` with the credentials in `authDirectory`, if any.
    public func pull(_ image: ContainerImage, authDirectory: String?) -> [String] {
        switch (self, authDirectory) {
        case (.podman, let directory?): return ["podman", "pull", "--authfile", directory + "/auth.json", image.reference]
        case (.docker, let directory?): return ["docker", "--config", directory, "pull", image.reference]
        case (_, nil): return [rawValue, "pull", image.reference]
        }
    }
}
