import NIOCore

/// How a process ended.
///
/// ```
/// +-------------+------------+
/// | code (i32)  | signal u32 |
/// +-------------+------------+
/// ```
/// `code` follows the shell's convention: the exit code, or 128 + n when killed by signal n.
public struct ExitStatus: Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    /// The Linux signal number that killed the process, or 0.
    public var signal: UInt32

    public init(code: Int32, signal: UInt32 = 0) {
        self.code = code
        self.signal = signal
    }

    public static func killed(by signal: Int32) -> ExitStatus {
        ExitStatus(code: 128 + signal, signal: UInt32(signal))
    }

    public var succeeded: Bool { code == 0 }

    public var description: String {
        signal == 0 ? "exit code \(code)" : "killed by signal \(signal) (exit code \(code))"
    }
}

extension ExitStatus: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "exit")
        self.code = try reader.integer()
        self.signal = try reader.integer()
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(code)
        buffer.writeInteger(signal)
    }
}

/// Why a stream failed before or instead of an ``ExitStatus``, e.g. the command could not start.
///
/// ```
/// +-----------+--------------+
/// | code u32  | message str  |
/// +-----------+--------------+
/// ```
public struct StreamFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Code
    public var message: String

    /// Why a stream failed: the one set of codes every stream type uses. A struct, so codes a
    /// newer peer sends survive decoding.
    public struct Code: Hashable, Sendable {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// The process could not be started.
        public static let spawnFailed = Code(rawValue: 1)
        /// The request was not understood.
        public static let badRequest = Code(rawValue: 2)
        /// A relay (the controller's connection keeper) lost its connection to the node; what
        /// runs there may well go on.
        public static let connectionLost = Code(rawValue: 3)
        /// The agent serves no stream of the requested ``StreamType``.
        public static let unsupported = Code(rawValue: 4)
        /// The connection has as many streams open as one connection may
        /// (``ConnectionStateMachine/maximumStreams``).
        public static let tooManyStreams = Code(rawValue: 5)
        /// The job id is another job's on this node (another controller uses the cluster name).
        public static let jobIDTaken = Code(rawValue: 6)
        /// No such job (or step) on the node.
        public static let notFound = Code(rawValue: 10)
        /// Not following, and the job still runs.
        public static let stillRunning = Code(rawValue: 11)
        /// The job's process is gone without an exit record (FAILED_DRIVER).
        public static let driverDied = Code(rawValue: 12)
        /// The job was cancelled.
        public static let cancelled = Code(rawValue: 13)
        /// A forwarded connection could not be made on the node (refused, no such host).
        public static let connectFailed = Code(rawValue: 14)
    }

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension StreamFailure: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "reset")
        self.code = Code(rawValue: try reader.integer())
        self.message = try reader.string()
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(code.rawValue)
        buffer.writeWireString(message)
    }
}

extension ProtocolError: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "goAway")
        self.code = Code(rawValue: try reader.integer())
        self.message = try reader.string()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(code.rawValue)
        buffer.writeWireString(message)
    }
}
