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
    public var code: UInt32
    public var message: String

    /// The process could not be started.
    public static let spawnFailedCode: UInt32 = 1
    /// The request was not understood.
    public static let badRequestCode: UInt32 = 2
    /// A relay (the controller's connection keeper) lost its connection to the node; what runs
    /// there may well go on.
    public static let connectionLostCode: UInt32 = 3

    public init(code: UInt32, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension StreamFailure: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "reset")
        self.code = try reader.integer()
        self.message = try reader.string()
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(code)
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
