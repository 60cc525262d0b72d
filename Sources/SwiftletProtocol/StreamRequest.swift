import NIOCore

/// A request sent on an open stream, in a ``FrameKind/request`` frame: typed, so that a PTY's
/// window change or a new request needs no new frame kind. A receiver ignores a request it does
/// not know (``unknown``); a sender that needs one checks the peer's hello for its
/// ``capability`` first.
///
/// ```
/// +-------------+------------------------------+
/// | name string | arguments (the rest, per name) |
/// +-------------+------------------------------+
/// ```
/// `signal`: u32 Linux signal number, for the stream's whole process tree. `go`: none; a gang's
/// rank that reported ``FrameKind/admitted`` starts now. `detach`: none; the stream's process
/// outlives this connection (its output goes on to its log on the node). `window`: u16 rows,
/// u16 columns.
public enum StreamRequest: Hashable, Sendable {
    case signal(UInt32)
    case go
    case detach
    case windowChange(rows: UInt16, columns: UInt16)
    case unknown(String)

    public var name: String {
        switch self {
        case .signal: "signal"
        case .go: "go"
        case .detach: "detach"
        case .windowChange: "window"
        case .unknown(let name): name
        }
    }

    /// How an agent announces, in its hello, that it acts on requests of this name.
    public var capability: String { "request:" + name }
}

extension StreamRequest: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "request")
        let name = try reader.string()
        switch name {
        case "signal": self = .signal(try reader.integer())
        case "go": self = .go
        case "detach": self = .detach
        case "window": self = .windowChange(rows: try reader.integer(), columns: try reader.integer())
        default:
            _ = reader.rest()
            self = .unknown(name)
        }
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(name)
        switch self {
        case .signal(let number): buffer.writeInteger(number)
        case .windowChange(let rows, let columns):
            buffer.writeInteger(rows)
            buffer.writeInteger(columns)
        case .go, .detach, .unknown: break
        }
    }
}

extension Hello {
    /// Whether the peer announced that it acts on `request`.
    public func serves(_ request: StreamRequest) -> Bool { capabilities.contains(request.capability) }
}
