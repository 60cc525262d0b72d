import NIOCore

/// Asks the agent to run a command on a new stream.
///
/// ```
/// +---------+-------------------+----------------------+----------+---------------+-------------+
/// | command | working directory | env: u32 n + n pairs | flags u8 | has ticket u8 | JobTicket   |
/// | string  | string            | of (key, value)      |          |               | (when 1)    |
/// +---------+-------------------+----------------------+----------+---------------+-------------+
/// ```
/// flags: bit 0 = source `~/.bashrc` first, bit 1 = keep running when the connection drops,
/// bit 2 = once admitted by the node's queue, wait for ``StreamRequest/go`` (a gang's rank).
/// An empty working directory means the home directory. A step of a job (with a ticket) also
/// writes its output to the job's log on the node, which the agent alone places.
public struct ExecRequest: Hashable, Sendable {
    public var command: String
    public var workingDirectory: String
    public var environment: [String: String]
    public var sourceBashrc: Bool
    public var survivesDisconnect: Bool
    /// A rank of a gang: after its node's queue admits it, it reports ``FrameKind/admitted`` and
    /// starts only on ``StreamRequest/go``, so all ranks start together.
    public var startsOnGo: Bool = false
    /// Set when the process is a step of a job: the node records it and queues its run.
    public var job: JobTicket?

    public init(
        command: String,
        workingDirectory: String = "",
        environment: [String: String] = [:],
        sourceBashrc: Bool = false,
        survivesDisconnect: Bool = false,
        job: JobTicket? = nil
    ) {
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.sourceBashrc = sourceBashrc
        self.survivesDisconnect = survivesDisconnect
        self.job = job
    }
}

extension ExecRequest: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "exec")
        self.command = try reader.string()
        self.workingDirectory = try reader.string()
        let pairs = try reader.pairs()
        self.environment = Dictionary(pairs, uniquingKeysWith: { _, last in last })
        let flags: UInt8 = try reader.integer()
        self.sourceBashrc = flags & 1 != 0
        self.survivesDisconnect = flags & 2 != 0
        self.startsOnGo = flags & 4 != 0
        self.job = try reader.integer(UInt8.self) == 0 ? nil : try JobTicket(reading: &reader)
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(command)
        buffer.writeWireString(workingDirectory)
        buffer.writeWirePairs(environment.sorted { $0.key < $1.key })
        buffer.writeInteger(UInt8((sourceBashrc ? 1 : 0) | (survivesDisconnect ? 2 : 0) | (startsOnGo ? 4 : 0)))
        buffer.writeInteger(UInt8(job == nil ? 0 : 1))
        job?.write(to: &buffer)
    }
}
