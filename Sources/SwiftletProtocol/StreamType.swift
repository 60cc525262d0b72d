import NIOCore

/// What a stream is for, named on the wire by a short string so that a new kind of stream (a
/// PTY, a TCP forward, an SSH session, an image transfer) needs no new frame kind and no change
/// to the connection's state machine. A struct, so that types a newer peer names survive
/// decoding; the agent answers a type it does not serve with
/// ``StreamFailure/Code/unsupported``, and announces the types it serves in ``Hello``'s
/// capabilities (``capability``).
public struct StreamType: Hashable, Sendable, CustomStringConvertible {
    public var name: String

    public init(_ name: String) {
        self.name = name
    }

    /// Runs a process: ``ExecRequest``.
    public static let exec = StreamType("exec")
    /// Copies files to the node: ``FileSyncRequest``.
    public static let sync = StreamType("sync")
    /// Reads a job's log on the node: ``FollowRequest``.
    public static let follow = StreamType("follow")
    /// Cancels a job on the node: ``FollowRequest`` naming it (offset and follow unused).
    public static let cancel = StreamType("cancel")
    /// Stops a rank its gang gave up on: ``FollowRequest`` naming it (offset and follow unused).
    /// SIGKILL to its whole tree, recorded as killed (137), not as cancelled.
    public static let stop = StreamType("stop")
    /// Lists the node's job records of one cluster: payload the cluster's name (empty: every
    /// cluster). One ``FrameKind/data`` frame per ``JobRecord`` (its text form), then
    /// ``FrameKind/exit``.
    public static let jobs = StreamType("jobs")
    /// Forgets a cluster on the node (its `down`): payload the cluster's name. Its job records
    /// and logs are removed once none of its jobs is unfinished; else ``StreamFailure/Code/stillRunning``.
    public static let forget = StreamType("forget")
    /// The node runtime's state: one ``FrameKind/data`` frame with a ``NodeState`` (its text
    /// form), then ``FrameKind/exit``.
    public static let nodeState = StreamType("node-state")

    /// A cluster's autostop on its head node: payload an ``Autostop``'s text to set it (its
    /// `set` and `fired` are the node's to fill), or `cluster=NAME` alone to ask. Answered with
    /// one ``FrameKind/data`` frame holding the node's ``Autostop`` for the cluster (empty when
    /// it has none), then ``FrameKind/exit``.
    public static let autostop = StreamType("autostop")

    /// How an agent announces, in its hello, that it serves streams of this type.
    public var capability: String { "stream:" + name }

    public var description: String { name }
}

/// The payload of a ``FrameKind/open`` frame: the stream's type, then its request.
///
/// ```
/// +-------------+------------------------------+
/// | type string | request (the rest, per type) |
/// +-------------+------------------------------+
/// ```
public struct StreamOpening: Sendable {
    public var type: StreamType
    public var request: ByteBuffer

    public init(type: StreamType, request: ByteBuffer) {
        self.type = type
        self.request = request
    }
}

extension StreamOpening: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "open")
        self.type = StreamType(try reader.string())
        self.request = reader.rest()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(type.name)
        var request = request
        buffer.writeBuffer(&request)
    }
}
