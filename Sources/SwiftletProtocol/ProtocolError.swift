/// A violation of the protocol by the peer, or a failure of the connection itself.
///
/// Crosses the wire in a ``FrameKind/goAway`` frame as a stable numeric code plus a message:
///
/// ```
/// +-----------+------------------------------+
/// | code u32  | message (u32 length + UTF-8) |
/// +-----------+------------------------------+
/// ```
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable numeric error codes, documented with the protocol.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// A frame's header or payload does not parse.
        public static let malformedFrame = Code(rawValue: 1)
        /// A frame is larger than the receiver accepts.
        public static let frameTooLarge = Code(rawValue: 2)
        /// The peers share no protocol version.
        public static let versionMismatch = Code(rawValue: 3)
        /// A frame arrived where the protocol does not allow it.
        public static let unexpectedFrame = Code(rawValue: 4)
        /// The peer sent more bytes on a stream than it was granted.
        public static let flowControlViolated = Code(rawValue: 5)
        /// The peer sent nothing, not even a heartbeat, for too long.
        public static let peerSilent = Code(rawValue: 6)
        /// No preamble was found in the peer's first bytes.
        public static let noPreamble = Code(rawValue: 7)
        /// The byte stream ended.
        public static let connectionClosed = Code(rawValue: 8)

        public var description: String {
            switch self {
            case .malformedFrame: "malformed frame"
            case .frameTooLarge: "frame too large"
            case .versionMismatch: "protocol version mismatch"
            case .unexpectedFrame: "unexpected frame"
            case .flowControlViolated: "flow control violated"
            case .peerSilent: "peer silent"
            case .noPreamble: "no preamble"
            case .connectionClosed: "connection closed"
            default: "error \(rawValue)"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "protocol error (\(code)): \(message)" }
}
