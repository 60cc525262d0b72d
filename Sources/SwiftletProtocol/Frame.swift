import NIOCore

/// One unit on the wire.
///
/// ```
///  0               4       5               9
/// +---------------+-------+---------------+-----------------------+
/// | length (u32)  | kind  | stream (u32)  | payload               |
/// |  big-endian   |  u8   |  big-endian   | length - 5 bytes      |
/// +---------------+-------+---------------+-----------------------+
/// ```
///
/// `length` counts everything after itself: the kind, the stream id and the payload.
public struct Frame: Hashable, Sendable {
    /// Bytes of `kind` and `stream`, the part of `length` that is not payload.
    public static let headerBytesAfterLength = 5
    /// Bytes of the whole header: `length`, `kind` and `stream`.
    public static let headerBytes = 9
    /// The largest payload a peer may send; bigger frames close the connection.
    public static let defaultMaximumPayload = 1 << 20

    public var kind: FrameKind
    public var stream: StreamID
    public var payload: ByteBuffer
    /// On receipt only: this is a piece of a ``FrameKind/data`` or ``FrameKind/stderr`` frame
    /// that a read ended inside, and the rest of its payload follows in the next frames of the
    /// stream (``FrameReader`` hands on pieces rather than gathering them).
    public var continues: Bool

    public init(kind: FrameKind, stream: StreamID = .control, payload: ByteBuffer = ByteBuffer(), continues: Bool = false) {
        self.kind = kind
        self.stream = stream
        self.payload = payload
        self.continues = continues
    }
}

/// Identifies a multiplexed stream. Stream 0 carries control messages.
public struct StreamID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    public static let control = StreamID(0)
    public static func < (lhs: StreamID, rhs: StreamID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "stream \(rawValue)" }
}

/// What a frame carries. A struct so that unknown kinds from a newer peer survive decoding.
public struct FrameKind: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Stream 0. Version negotiation and identity: ``Hello``.
    public static let hello = FrameKind(rawValue: 0x01)
    /// Connection-level failure; the sender closes after it: ``ProtocolError``.
    public static let goAway = FrameKind(rawValue: 0x02)
    /// Stream 0. Liveness probe carrying an 8-byte nonce.
    public static let ping = FrameKind(rawValue: 0x03)
    /// Stream 0. Answer to ``ping`` with the same nonce.
    public static let pong = FrameKind(rawValue: 0x04)
    /// Opens a stream: ``StreamOpening`` (its ``StreamType`` and request).
    public static let open = FrameKind(rawValue: 0x21)
    /// A typed request on an open stream: ``StreamRequest`` (signal, go, detach, window).
    public static let request = FrameKind(rawValue: 0x22)
    /// The process of a stream started: u32 pid.
    public static let started = FrameKind(rawValue: 0x11)
    /// Bytes on a stream: stdin towards the agent, stdout from it.
    public static let data = FrameKind(rawValue: 0x12)
    /// Bytes of a process's stderr, on the process's stream.
    public static let stderr = FrameKind(rawValue: 0x13)
    /// The sender will send no more ``data`` (or ``stderr``) on this stream.
    public static let eof = FrameKind(rawValue: 0x14)
    /// Grants the peer more bytes to send on this stream: u32 increment.
    public static let credit = FrameKind(rawValue: 0x15)
    /// The process ended: ``ExitStatus``. Last frame of the stream from the agent.
    public static let exit = FrameKind(rawValue: 0x17)
    /// The stream failed (spawn failed, bad request): ``StreamFailure``. Last frame of the stream.
    public static let reset = FrameKind(rawValue: 0x18)
    /// On an exec stream of a job: the job waits in the node's queue for GPUs or CPUs (a
    /// message saying for what). ``started`` follows when it runs.
    public static let pending = FrameKind(rawValue: 0x1C)
    /// On an exec stream with ``ExecRequest/startsOnGo``: the node's queue admitted the job (it
    /// holds its GPUs and CPUs); it starts on the request ``StreamRequest/go``.
    public static let admitted = FrameKind(rawValue: 0x1F)

    /// Whether a frame of this kind opens a new stream (a request the peer serves).
    public var opensStream: Bool { self == .open }

    /// ``data`` and ``stderr``: bytes under flow control, which may arrive in pieces.
    public var carriesBytes: Bool { self == .data || self == .stderr }

    public var description: String {
        switch self {
        case .hello: "hello"
        case .goAway: "goAway"
        case .ping: "ping"
        case .pong: "pong"
        case .open: "open"
        case .request: "request"
        case .started: "started"
        case .data: "data"
        case .stderr: "stderr"
        case .eof: "eof"
        case .credit: "credit"
        case .exit: "exit"
        case .reset: "reset"
        case .pending: "pending"
        case .admitted: "admitted"
        default: "kind(0x\(String(rawValue, radix: 16)))"
        }
    }
}
