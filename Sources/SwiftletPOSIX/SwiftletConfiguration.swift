/// Every `SWIFTLET_*` variable either binary reads, read in this one place. A value that does
/// not parse is an error naming the variable, never silently the default.
public struct SwiftletConfiguration: Sendable, Equatable {
    // The controller's.

    /// `SWIFTLET_HOME`: the controller's state directory (nil: `~/.swiftlet`).
    public var home: String?
    /// `SWIFTLET_AGENT_BINARY`: the agent installed on nodes (nil: `swiftlet-agent` beside
    /// `swiftlet`).
    public var agentBinary: String?
    /// `SWIFTLET_KEEPALIVE`: seconds a node's agent connection is kept after the last command;
    /// 0 keeps none.
    public var keepAliveSeconds = 300
    /// `SWIFTLET_LANES`: spare agent connections a keeper holds ready; 0 relays every command.
    public var spareLanes = 1
    /// `SWIFTLET_RECONNECT_GRACE`: seconds an attached run waits for a node whose connection
    /// dropped before it counts as lost.
    public var reconnectGraceSeconds = 20
    /// `SWIFTLET_CONTAINER_RUNTIME`: `podman` or `docker`, for nodes that have both (nil:
    /// podman when the node has it).
    public var containerRuntime: String?

    /// `SWIFTLET_SSH_CONFIG`: the ssh config that gets the `Include` line of the clusters'
    /// hosts (default `~/.ssh/config`; `none`: never touched).
    public var userSSHConfig: String?

    // The agent's.

    /// `SWIFTLET_NODE_GPUS`: the node's GPU count, for nodes whose devices the agent cannot see.
    public var nodeGPUs: Int?
    /// `SWIFTLET_GPU_ROOT`: the directory under which the agent reads `/dev`, `/proc` and `/sys`
    /// for GPUs (nil: `/`); a machine laid out from captures, in tests.
    public var gpuRoot: String?
    /// `SWIFTLET_NODE_CPUS`: the node's CPUs (fractions allowed).
    public var nodeCPUs: Double?
    /// `SWIFTLET_AGENT_IDLE_EXIT`: seconds the daemon waits idle before it exits.
    public var agentIdleExitSeconds: Int?
    /// `SWIFTLET_AGENT_NO_DAEMON=1`: serve in the relay's own process, never through a daemon.
    public var agentWithoutDaemon = false

    public init() {}

    /// The variables of `environment`.
    public init(environment: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        func number<T: LosslessStringConvertible>(_ name: String, _: T.Type, atLeast minimum: T? = nil) throws(ConfigurationError) -> T?
        where T: Comparable {
            guard let text = value(name) else { return nil }
            guard let number = T(text), minimum.map({ number >= $0 }) ?? true else {
                throw ConfigurationError(variable: name, value: text, expected: minimum.map { "a number of at least \($0)" } ?? "a number")
            }
            return number
        }
        home = value("SWIFTLET_HOME")
        agentBinary = value("SWIFTLET_AGENT_BINARY")
        keepAliveSeconds = try number("SWIFTLET_KEEPALIVE", Int.self, atLeast: 0) ?? keepAliveSeconds
        spareLanes = try number("SWIFTLET_LANES", Int.self, atLeast: 0) ?? spareLanes
        reconnectGraceSeconds = try number("SWIFTLET_RECONNECT_GRACE", Int.self, atLeast: 0) ?? reconnectGraceSeconds
        if let runtime = value("SWIFTLET_CONTAINER_RUNTIME") {
            guard ["podman", "docker"].contains(runtime) else {
                throw ConfigurationError(variable: "SWIFTLET_CONTAINER_RUNTIME", value: runtime, expected: "podman or docker")
            }
            containerRuntime = runtime
        }
        userSSHConfig = value("SWIFTLET_SSH_CONFIG")
        nodeGPUs = try number("SWIFTLET_NODE_GPUS", Int.self, atLeast: 0)
        if let root = value("SWIFTLET_GPU_ROOT") {
            guard root.hasPrefix("/") else {
                throw ConfigurationError(variable: "SWIFTLET_GPU_ROOT", value: root, expected: "an absolute directory")
            }
            gpuRoot = root == "/" ? nil : root
        }
        nodeCPUs = try number("SWIFTLET_NODE_CPUS", Double.self, atLeast: 0)
        agentIdleExitSeconds = try number("SWIFTLET_AGENT_IDLE_EXIT", Int.self, atLeast: 0)
        agentWithoutDaemon = value("SWIFTLET_AGENT_NO_DAEMON") == "1"
    }

    /// This process's configuration, read once.
    public static func current() throws(ConfigurationError) -> SwiftletConfiguration {
        try cached.get()
    }

    /// ``current()`` for code below an entry point that already checked it (the CLI and the
    /// agent stop at start-up on a value that does not parse): the defaults where it did not.
    public static var process: SwiftletConfiguration { (try? current()) ?? SwiftletConfiguration() }

    private static let cached = Result { () throws(ConfigurationError) in try SwiftletConfiguration(environment: Environment.all()) }
}

/// A `SWIFTLET_*` variable whose value does not parse.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public var variable: String
    public var value: String
    public var expected: String

    public init(variable: String, value: String, expected: String) {
        self.variable = variable
        self.value = value
        self.expected = expected
    }

    public var description: String { "\(variable)=\(value) is not \(expected)" }
}
