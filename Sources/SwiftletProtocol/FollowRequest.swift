import NIOCore

/// Names one step of one job on a node: by cluster and id, never by a path (the agent alone
/// knows where a job's files are).
///
/// ```
/// +----------------+--------+---------+
/// | cluster string | id u32 | step u8 |
/// +----------------+--------+---------+
/// ```
public struct JobReference: Hashable, Sendable, CustomStringConvertible {
    public var cluster: String
    public var id: UInt32
    public var step: JobTicket.Step

    public init(cluster: String, id: UInt32, step: JobTicket.Step = .run) {
        self.cluster = cluster
        self.id = id
        self.step = step
    }

    public var description: String { "job \(id) of '\(cluster)' (\(step))" }

    init(reading reader: inout WireReader) throws {
        cluster = try reader.string()
        id = try reader.integer()
        let rawStep: UInt8 = try reader.integer()
        guard let step = JobTicket.Step(rawValue: rawStep) else {
            throw ProtocolError(.malformedFrame, "job reference: unknown step \(rawStep)")
        }
        self.step = step
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(cluster)
        buffer.writeInteger(id)
        buffer.writeInteger(step.rawValue)
    }
}

/// Reads a step's log on the node from a byte offset, and keeps reading while the job runs.
///
/// ```
/// +--------------+-------------+-----------+
/// | JobReference | offset u64  | follow u8 |
/// +--------------+-------------+-----------+
/// ```
/// The agent answers with `started` (the pid that writes the log, 0 if unknown), the bytes as
/// `data` frames, then `exit` with the step's ``ExitStatus`` once it ended, or `reset` with
/// ``StreamFailure/Code/stillRunning`` (not following and the job still runs),
/// ``StreamFailure/Code/driverDied`` (its process is gone without an exit record),
/// ``StreamFailure/Code/cancelled`` or ``StreamFailure/Code/notFound``.
///
/// An offset past the end of the log asks for the job's state alone.
///
/// A ``StreamType/cancel`` stream carries the same request (step, offset and follow unused): the
/// agent stops the job's whole process tree and answers like a follow without data.
public struct FollowRequest: Hashable, Sendable {
    public var job: JobReference
    public var offset: UInt64
    public var follow: Bool

    public init(job: JobReference, offset: UInt64 = 0, follow: Bool = false) {
        self.job = job
        self.offset = offset
        self.follow = follow
    }
}

extension FollowRequest: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "follow")
        self.job = try JobReference(reading: &reader)
        self.offset = try reader.integer()
        self.follow = try reader.integer(UInt8.self) != 0
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        job.write(to: &buffer)
        buffer.writeInteger(offset)
        buffer.writeInteger(UInt8(follow ? 1 : 0))
    }
}
