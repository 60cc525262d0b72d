import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Serves a ``ForwardRequest`` (`swiftlet forward`): a TCP connection made from the node, joined
/// to the stream both ways with the stream's flow control (a slow side slows the other, memory
/// stays bounded), each side's end passed on as a half-close. Both ways run on the connection's
/// event loop (``StreamPump``, ``StreamSink``): no thread between the socket and the frames.
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
        // The pump owns the socket for reading; the sink a duplicate, which also half-closes it.
        let reading = StreamPump.start(socket, as: .data, to: stream)
        let written = stream.eventLoop.makePromise(of: Void.self)
        let sinking = await StreamSink.start(dup(socket), from: stream) { sink, event in
            switch event {
            case .frame(let frame) where frame.kind == .eof:
                // The controller's side ended: once its last byte is written, so does this one.
                sink.shutdown(Int32(SHUT_WR))
                sink.afterWrites { written.succeed() }
            case .ended:
                sink.close()
                sink.afterWrites { written.succeed() }
            case .frame, .writeFailed:
                break
            }
        }
        if !sinking { written.succeed() }
        try? await reading.get()
        try? await stream.send(.eof)
        try? await written.futureResult.get()
        try? await stream.send(.exit, payload: ExitStatus(code: 0).payload)
    }
}
