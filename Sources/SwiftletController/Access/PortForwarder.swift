import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// `swiftlet forward`: listens on this machine and joins each connection it accepts to a TCP
/// connection the node's agent makes, one protocol stream per connection (its own flow
/// control), half-closes passed on both ways.
public struct PortForwarder: Sendable {
    /// `LOCAL:REMOTE` or `LOCAL:HOST:REMOTE`: a port here, and where the node connects.
    public struct Mapping: Sendable, Equatable, CustomStringConvertible {
        public var localPort: UInt16
        public var remoteHost: String
        public var remotePort: UInt16

        public init(parsing text: String) throws {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, let local = UInt16(parts[0]), let remote = UInt16(parts[parts.count - 1]),
                remote > 0, parts.count == 2 || !parts[1].isEmpty
            else {
                throw ControllerError("'\(text)' is not LOCAL:REMOTE or LOCAL:HOST:REMOTE (ports 1 to 65535; LOCAL 0 picks a free one)")
            }
            localPort = local
            remoteHost = parts.count == 3 ? parts[1] : "127.0.0.1"
            remotePort = remote
        }

        public var description: String { "\(remoteHost):\(remotePort)" }
    }

    public let session: NodeSession
    /// The address listeners bind here.
    public let bindAddress: String

    public init(session: NodeSession, bindAddress: String = "127.0.0.1") {
        self.session = session
        self.bindAddress = bindAddress
    }

    /// Listens for every mapping (`ready` hears the port each got) and forwards what connects
    /// until cancelled or the node's connection is lost.
    public func run(_ mappings: [Mapping], ready: @Sendable (Mapping, UInt16) -> Void) async throws {
        var listeners: [(Mapping, Int32)] = []
        defer {
            for (_, fd) in listeners {
                // shutdown, not close alone, wakes the thread blocked in accept.
                shutdown(fd, Int32(SHUT_RDWR))
                close(fd)
            }
        }
        for mapping in mappings {
            let (fd, port) = try TCPSocket.listen(address: bindAddress, port: mapping.localPort)
            listeners.append((mapping, fd))
            ready(mapping, port)
        }
        let (accepted, continuation) = AsyncStream.makeStream(of: (Int32, Mapping).self)
        for (mapping, listener) in listeners {
            // A blocking accept on a thread of its own: it ends when the listener is closed.
            BlockingThread.start {
                while let fd = try? TCPSocket.accept(listener) { continuation.yield((fd, mapping)) }
            }
        }
        let connection = session.connection
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The node's connection going ends the forwarding.
                _ = await connection.closed()
                continuation.finish()
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await withTaskGroup(of: Void.self) { connections in
                        for await (fd, mapping) in accepted {
                            connections.addTask { await forward(fd, to: mapping) }
                        }
                    }
                } onCancel: {
                    continuation.finish()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// One accepted connection, joined to a stream until both ways are closed, both ways on the
    /// connection's event loop (``StreamPump``, ``StreamSink``): no thread between the socket
    /// and the frames.
    func forward(_ fd: Int32, to mapping: Mapping) async {
        guard
            let stream = try? await session.connection.openStream(
                .forward,
                request: ForwardRequest(host: mapping.remoteHost, port: mapping.remotePort).payload
            )
        else {
            close(fd)
            return
        }
        let ended = stream.eventLoop.makePromise(of: Void.self)
        // The node to here: data written, eof a half-close; exit or reset ends it.
        let sinking = await StreamSink.start(dup(fd), from: stream) { sink, event in
            switch event {
            case .frame(let frame) where frame.kind == .eof:
                sink.shutdown(Int32(SHUT_WR))
            case .writeFailed:
                sink.shutdown(Int32(SHUT_RDWR))
            case .ended:
                // The node's side is gone (exit, reset or a lost connection): so is this one,
                // once what came is written (a read still waiting ends).
                sink.shutdown(Int32(SHUT_RDWR))
                sink.close()
                sink.afterWrites { ended.succeed() }
            case .frame:
                break
            }
        }
        guard sinking else {
            close(fd)
            return
        }
        // Here to the node: each read goes as data, the end as eof.
        let reading = StreamPump.start(fd, as: .data, to: stream)
        reading.whenSuccess { Task { try? await stream.send(.eof) } }
        try? await ended.futureResult.get()
        try? await reading.get()
    }
}
