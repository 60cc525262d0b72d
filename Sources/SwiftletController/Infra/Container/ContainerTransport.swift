import SwiftletPOSIX

/// A node that is a container on another node (its host, reached by any transport): the agent
/// runs inside, reached through `podman|docker exec -i` run on the host, so the same bootstrap
/// delivers it (keyed by its hash; nothing is downloaded inside) and a daemon inside owns the
/// jobs. Made by ``ContainerBringUp``; removed by `down` through ``remove(cluster:home:)``.
public struct ContainerTransport: NodeTransport {
    public static let kind = "container"

    public var runtime: ContainerRuntime
    /// The container's name on its host.
    public var container: String
    /// The image as pulled (`ContainerImage.reference`).
    public var image: String
    public var host: NodeAddress
    /// The image's WORKDIR, where a task without a `workdir` starts.
    public var workingDirectory: String?

    public init(runtime: ContainerRuntime, container: String, image: String, host: NodeAddress, workingDirectory: String? = nil) {
        self.runtime = runtime
        self.container = container
        self.image = image
        self.host = host
        self.workingDirectory = workingDirectory
    }

    public var jobWorkingDirectory: String? { workingDirectory }

    /// Host networking: the container's address is its host's.
    public var ip: String { host.ip }

    public var label: String { host.transport.label }

    public var description: String { "\(container) (\(image)) on \(host)" }

    /// The image's user may have no home, or one it cannot write (`USER 1000` with no passwd
    /// entry gets `/`): the agent then keeps its files, and the jobs their `~`, in a private
    /// directory of the container's `/tmp`.
    static let homeOrPrivateTemporary =
        #"[ -n "${HOME:-}" ] && [ "$HOME" != / ] && [ -w "$HOME" ] || "#
        + #"{ HOME=/tmp/swiftlet-home; mkdir -p "$HOME" && chmod 700 "$HOME"; export HOME; }; exec /bin/sh -c "$1""#

    public func launch(_ script: String, home: SwiftletHome) throws -> TransportLaunch {
        try CommandTransport(argv: shell(terminal: false), ip: ip, via: host).launch(script, home: home)
    }

    /// `exec --tty` on the host's own terminal (`ssh -tt host podman exec -it ...`), when the
    /// host has one: keys cross ssh, sshd, the runtime's exec and the shell. Nil on a local host.
    public func terminalLaunch(_ script: String, home: SwiftletHome) throws -> TransportLaunch? {
        let command = (shell(terminal: true) + [script]).map(ShellQuoting.quote).joined(separator: " ")
        return try host.transport.terminalLaunch(command, home: home)
    }

    /// A shell in the container with a home it can write, its command line to come.
    private func shell(terminal: Bool) -> [String] {
        runtime.exec(container: container, terminal: terminal) + ["/bin/sh", "-c", Self.homeOrPrivateTemporary, "sh"]
    }

    public func classify(exitStatus: ChildReaper.Termination?, stderr: String, node: String, detail: String) -> NodeError? {
        if let named = host.transport.classify(exitStatus: exitStatus, stderr: stderr, node: node, detail: detail) { return named }
        let text = stderr.lowercased()
        if text.contains("no such container") {
            return NodeError(node: node, step: "connect", "the container \(container) is gone from its host\(detail)")
        }
        if text.contains("not running") || text.contains("state improper") {
            // A new container whose image has no /bin/sh stops the moment it starts.
            return NodeError(
                node: node,
                step: "connect",
                "the container \(container) is not running\(detail): the image \(image) has no /bin/sh, "
                    + "which Swiftlet needs, or the container was stopped ('swiftlet launch' starts it again)"
            )
        }
        if text.contains("command not found") || text.contains("not found") && text.contains(runtime.rawValue) {
            return NodeError(node: node, step: "connect", "\(runtime.rawValue) is no longer on the container's host\(detail)")
        }
        return nil
    }

    /// Removes the container and the cluster's credentials from the host. Never throws: `down`
    /// forgets the cluster anyway, and a host out of reach is named by its own error elsewhere.
    public func remove(cluster: String, home: SwiftletHome) async {
        let script = ContainerScript.removal(runtime: runtime, container: container)
        _ = try? await HostCommand.run(script, on: host, home: home)
    }
}
