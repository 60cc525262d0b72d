/// What a node's agent runtime says of itself (`swiftlet status CLUSTER`), as `key=value` lines.
public struct NodeState: Hashable, Sendable {
    /// `daemon` (the long-lived runtime), or `connection` (no daemon could start; jobs live as
    /// long as the connection's agent).
    public var mode: String
    public var pid: Int32
    public var build: String
    /// Seconds since the epoch when the runtime started.
    public var since: Int
    public var gpus: Int
    public var freeGPUs: Int
    public var milliCPUs: Int
    public var freeMilliCPUs: Int
    public var running: Int
    public var pending: Int
    /// Controller connections open now, and served since the runtime started.
    public var connections: Int
    public var connectionsServed: Int
    public var underSystemd: Bool

    public init(
        mode: String,
        pid: Int32,
        build: String,
        since: Int,
        gpus: Int,
        freeGPUs: Int,
        milliCPUs: Int,
        freeMilliCPUs: Int,
        running: Int,
        pending: Int,
        connections: Int,
        connectionsServed: Int,
        underSystemd: Bool
    ) {
        self.mode = mode
        self.pid = pid
        self.build = build
        self.since = since
        self.gpus = gpus
        self.freeGPUs = freeGPUs
        self.milliCPUs = milliCPUs
        self.freeMilliCPUs = freeMilliCPUs
        self.running = running
        self.pending = pending
        self.connections = connections
        self.connectionsServed = connectionsServed
        self.underSystemd = underSystemd
    }

    public var text: String {
        [
            "mode=\(mode)", "pid=\(pid)", "build=\(build)", "since=\(since)", "gpus=\(gpus)", "free_gpus=\(freeGPUs)",
            "milli_cpus=\(milliCPUs)", "free_milli_cpus=\(freeMilliCPUs)", "running=\(running)", "pending=\(pending)",
            "connections=\(connections)", "connections_served=\(connectionsServed)", "systemd=\(underSystemd ? 1 : 0)",
        ].joined(separator: "\n") + "\n"
    }

    public init?(text: String) {
        guard let fields = KeyValueText.fields(text) else { return nil }
        func number(_ key: Substring) -> Int? { fields[key].flatMap { Int($0) } }
        guard let mode = fields["mode"], let pid = number("pid"), let build = fields["build"], let since = number("since"),
            let gpus = number("gpus"), let freeGPUs = number("free_gpus"), let milliCPUs = number("milli_cpus"),
            let freeMilliCPUs = number("free_milli_cpus"), let running = number("running"), let pending = number("pending")
        else { return nil }
        self.init(
            mode: String(mode),
            pid: Int32(pid),
            build: String(build),
            since: since,
            gpus: gpus,
            freeGPUs: freeGPUs,
            milliCPUs: milliCPUs,
            freeMilliCPUs: freeMilliCPUs,
            running: running,
            pending: pending,
            connections: number("connections") ?? 0,
            connectionsServed: number("connections_served") ?? 0,
            underSystemd: number("systemd") == 1
        )
    }
}
