import NIOCore

/// Reads a job's log file on the node from a byte offset, and keeps reading while the job runs.
///
/// ```
/// +-------------+-------------+-----------+
/// | path string | offset u64  | follow u8 |
/// +-------------+-------------+-----------+
/// ```
/// The agent answers with `started` (the pid that writes the log, 0 if unknown), the bytes as
/// `data` frames, then `exit` with the job's ``ExitStatus`` once `<path>.exit` exists, or
/// `reset` with ``FollowRequest/stillRunningCode`` (not following and the job still runs),
/// ``FollowRequest/driverDiedCode`` (its process is gone without an exit record),
/// ``FollowRequest/cancelledCode`` or ``FollowRequest/notFoundCode``.
///
/// An offset past the end of the log asks for the job's state alone.
///
/// A ``FrameKind/cancel`` stream carries the same request (offset and follow unused): the agent
/// stops the job's whole process group and answers like a follow without data.
public struct FollowRequest: Hashable, Sendable {
    public static let notFoundCode: UInt32 = 10
    public static let stillRunningCode: UInt32 = 11
    public static let driverDiedCode: UInt32 = 12
    public static let cancelledCode: UInt32 = 13

    /// Relative to the node's home, like ``ExecRequest/logPath``.
    public var path: String
    public var offset: UInt64
    public var follow: Bool

    public init(path: String, offset: UInt64, follow: Bool) {
        self.path = path
        self.offset = offset
        self.follow = follow
    }
}

extension FollowRequest: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "follow")
        self.path = try reader.string()
        self.offset = try reader.integer()
        self.follow = try reader.integer(UInt8.self) != 0
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(path)
        buffer.writeInteger(offset)
        buffer.writeInteger(UInt8(follow ? 1 : 0))
    }
}
