import NIOCore
import NIOPosix
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Serves a ``ForwardRequest`` (`swiftlet forward`): a TCP connection made from the node, joined
/// to the stream both ways with the stream's flow control (a slow side slows the other, memory
/// stays bounded), each side's end passed on as a half-close.
enum ForwardSession {
    static func serve(_ payload: ByteBuffer, on stream: MuxStream) async {
        let request: ForwardRequest
        do {
            request = try ForwardRequest(payload: payload)
        } catch {
            try? await stream.reset(.badRequest, "bad forward request: \(error)")
            return
        }
        let socket: Int32
        do {
            socket = try await BlockingThread.value { try TCPSocket.connect(host: request.host, port: request.port) }
        } catch {
            try? await stream.reset(.connectFailed, "on the node: \(error)")
            return
        }
        var started = ByteBuffer()
        started.writeInteger(UInt32(0))
        try? await stream.send(.started, payload: started)
        // The pump owns the socket for reading; the writer a duplicate, which also half-closes it.
        let writer = dup(socket)
        let reading = OutputPump.start(socket, as: .data, to: stream, log: nil, connected: Flag(true))
        let writing = Task { await write(InboundFrames(stream.inbound), to: writer) }
        try? await reading.get()
        try? await stream.send(.eof)
        await writing.value
        try? await stream.send(.exit, payload: ExitStatus(code: 0).payload)
    }

    /// Writes the stream's data to the connection, in order, waiting while it is full; the
    /// stream's end shuts its sending side down once the last byte is written.
    private static func write(_ inbound: InboundFrames, to fd: Int32) async {
        guard
            let channel = try? await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .takingOwnershipOfDescriptor(output: fd).get()
        else {
            close(fd)
            while await inbound.next() != nil {}
            return
        }
        var lastWrite: EventLoopFuture<Void> = channel.eventLoop.makeSucceededVoidFuture()
        reading: while let frame = await inbound.next() {
            switch frame.kind {
            case .data:
                let written = channel.eventLoop.makePromise(of: Void.self)
                channel.writeAndFlush(frame.payload, promise: written)
                lastWrite = written.futureResult
                if !channel.isWritable { try? await lastWrite.get() }
            case .eof:
                try? await lastWrite.get()
                shutdown(fd, Int32(SHUT_WR))
                break reading
            default:
                break
            }
        }
        // The stream's end (or the connection's): whatever was written goes, then the socket.
        try? await lastWrite.get()
        try? await channel.close()
    }
}
