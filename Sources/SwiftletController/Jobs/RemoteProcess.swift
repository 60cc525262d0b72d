import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// A process running on a node, seen from the controller.
public struct RemoteProcess: Sendable {
    /// What arrives from the process.
    public enum Event: Sendable {
        case started(pid: Int)
        /// The job waits in the node's queue (the reason, as the node gives it).
        case pending(String)
        /// The node's queue admitted it; it starts on ``RemoteProcess/go()``.
        case admitted
        case stdout(ByteBuffer)
        case stderr(ByteBuffer)
    }

    public let stream: MuxStream

    /// Starts `request` on the node.
    public static func start(_ request: ExecRequest, on node: NodeSession) async throws -> RemoteProcess {
        RemoteProcess(stream: try await node.connection.openExec(request))
    }

    /// Delivers `signal` to the process's whole group on the node.
    public func signal(_ signal: Int32) async throws {
        try await stream.send(.signal(UInt32(signal)))
    }

    /// Starts a process that was admitted and waits for the gang (``ExecRequest/startsOnGo``).
    public func go() async throws {
        try await stream.send(.go)
    }

    /// Lets the process outlive this connection: its output goes on to its log on the node.
    /// Only agents that announce ``StreamRequest/detach`` act on it.
    public func detach() async throws {
        try await stream.send(.detach)
    }

    public func writeStdin(_ bytes: ByteBuffer) async throws {
        try await stream.send(.data, bytes)
    }

    public func closeStdin() async throws {
        try await stream.send(.eof)
    }

    /// Feeds every event to `handle` and returns how the process ended.
    /// Throws ``StreamFailure`` when it could not start, ``ProtocolError`` when the connection was lost.
    public func wait(_ handle: (Event) async -> Void) async throws -> ExitStatus {
        for await frame in stream.inboundPieces {
            switch frame.kind {
            case .started:
                let pid = frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self) ?? 0
                await handle(.started(pid: Int(pid)))
            case .pending:
                await handle(.pending(String(buffer: frame.payload)))
            case .admitted:
                await handle(.admitted)
            case .data:
                await handle(.stdout(frame.payload))
            case .stderr:
                await handle(.stderr(frame.payload))
            case .exit:
                return try ExitStatus(payload: frame.payload)
            case .reset:
                throw try StreamFailure(payload: frame.payload)
            default:
                continue
            }
        }
        throw await stream.connectionFailure() ?? ProtocolError(.connectionClosed, "the stream ended without an exit status")
    }

    /// How a job's process began on the node.
    public enum Start: Sendable, Equatable {
        case started(pid: Int)
        /// It waits in the node's queue.
        case pending(String)
    }

    /// Waits for the agent to report the process started, or queued.
    public func waitForStart() async throws -> Start {
        for await frame in stream.inbound {
            if frame.kind == .started {
                return .started(pid: Int(frame.payload.getInteger(at: frame.payload.readerIndex, as: UInt32.self) ?? 0))
            }
            if frame.kind == .pending { return .pending(String(buffer: frame.payload)) }
            if frame.kind == .reset { throw try StreamFailure(payload: frame.payload) }
        }
        throw await stream.connectionFailure() ?? ProtocolError(.connectionClosed, "the stream ended before the process started")
    }

    /// Copies this process's stdin from the controller's own stdin, then sends EOF.
    public func forwardStandardInput() async {
        while let chunk = await StandardInput.read() {
            do {
                try await writeStdin(chunk)
            } catch {
                return
            }
        }
        try? await closeStdin()
    }
}

/// The controller's stdin, read on a thread of its own so a blocking read never holds a thread
/// of the cooperative pool.
enum StandardInput {
    /// One read of up to 64 KiB; nil at the end or on an error.
    static func read() async -> ByteBuffer? {
        await BlockingThread.value {
            var bytes = [UInt8](repeating: 0, count: 64 * 1024)
            var count: Int
            repeat { count = Glibc.read(0, &bytes, bytes.count) } while count < 0 && errno == EINTR
            return count > 0 ? ByteBuffer(bytes: bytes[0..<count]) : nil
        }
    }
}
