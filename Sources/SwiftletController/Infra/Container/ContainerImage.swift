/// The image a task runs in (`resources.image_id: docker:IMAGE`), as a container runtime pulls
/// it: with a login's server in front when the name does not already start with it, as
/// SkyPilot formats it.
public struct ContainerImage: Sendable, Equatable, CustomStringConvertible {
    public var reference: String

    /// Nil when `imageID` is not a container image (a cloud's machine image).
    public init?(imageID: String, login: RegistryLogin? = nil) {
        guard imageID.hasPrefix("docker:") else { return nil }
        let image = String(imageID.dropFirst("docker:".count))
        guard !image.isEmpty else { return nil }
        if let server = login?.server, !server.isEmpty, !image.hasPrefix(server + "/") {
            reference = server + "/" + image
        } else {
            reference = image
        }
    }

    public var description: String { reference }
}
