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
    /// The node's memory in MiB (`MemTotal`); nil from an agent that does not say.
    public var memoryMiB: Int?
    /// Each GPU jobs can be given, in the node's order, and how it was found.
    public var gpuList: [GPU] = []
    /// How the GPUs were found (`nvidia-smi`, `rocm-smi`, `none`), the driver's version, and what
    /// a scheduler granted (`CUDA_VISIBLE_DEVICES=…`) when that limits them.
    public var gpuSource = "none"
    public var gpuDriver: String?
    public var gpuGrantedBy: String?

    /// One GPU, as `gpu.N=VENDOR|INDEX|UUID|MODEL|MEMORY_MIB|USED_MILLI|NAME` (NAME last: it may
    /// hold anything but a newline).
    public struct GPU: Hashable, Sendable {
        public var vendor: String
        public var index: Int
        public var uuid: String
        public var model: String
        public var memoryMiB: Int?
        /// Thousandths of it that running jobs hold (1000: all of it).
        public var usedMilli: Int
        public var name: String

        public init(vendor: String, index: Int, uuid: String, model: String, memoryMiB: Int?, usedMilli: Int, name: String) {
            self.vendor = vendor
            self.index = index
            self.uuid = uuid
            self.model = model
            self.memoryMiB = memoryMiB
            self.usedMilli = usedMilli
            self.name = name
        }

        var text: String {
            [vendor, String(index), uuid, model, memoryMiB.map(String.init) ?? "", String(usedMilli), name]
                .map(NodeState.oneLine).joined(separator: "|")
        }

        init?(text: Substring) {
            let fields = text.split(separator: "|", maxSplits: 6, omittingEmptySubsequences: false)
            guard fields.count == 7, let index = Int(fields[1]), let used = Int(fields[5]) else { return nil }
            self.init(
                vendor: String(fields[0]),
                index: index,
                uuid: String(fields[2]),
                model: String(fields[3]),
                memoryMiB: Int(fields[4]),
                usedMilli: used,
                name: String(fields[6])
            )
        }
    }

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
        var lines = [
            "mode=\(mode)", "pid=\(pid)", "build=\(build)", "since=\(since)", "gpus=\(gpus)", "free_gpus=\(freeGPUs)",
            "milli_cpus=\(milliCPUs)", "free_milli_cpus=\(freeMilliCPUs)", "running=\(running)", "pending=\(pending)",
            "connections=\(connections)", "connections_served=\(connectionsServed)", "systemd=\(underSystemd ? 1 : 0)",
            "gpu_source=\(gpuSource)",
        ]
        if let memoryMiB { lines.append("memory_mib=\(memoryMiB)") }
        if let gpuDriver { lines.append("gpu_driver=\(Self.oneLine(gpuDriver))") }
        if let gpuGrantedBy { lines.append("gpu_granted=\(Self.oneLine(gpuGrantedBy))") }
        lines += gpuList.enumerated().map { "gpu.\($0.offset)=\($0.element.text)" }
        return lines.joined(separator: "\n") + "\n"
    }

    static func oneLine(_ text: String) -> String { String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 }) }

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
        memoryMiB = number("memory_mib")
        gpuSource = fields["gpu_source"].map(String.init) ?? "none"
        gpuDriver = fields["gpu_driver"].map(String.init)
        gpuGrantedBy = fields["gpu_granted"].map(String.init)
        gpuList = fields.compactMap { key, value -> (Int, GPU)? in
            guard key.hasPrefix("gpu."), let position = Int(key.dropFirst(4)), let gpu = GPU(text: value) else { return nil }
            return (position, gpu)
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
