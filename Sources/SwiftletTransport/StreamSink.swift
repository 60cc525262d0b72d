import NIOCore
import NIOPosix
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Writes what the peer sends on a stream into a descriptor (a terminal, a socket, this
/// terminal's screen) on the connection's event loop, as the connection reads it: no task or
/// thread between a keystroke's frame and its write. Bytes go in order; each frame's bytes are
/// granted back to the peer once written, so a slow reader slows the peer and memory stays
/// bounded by the stream's window. Every other frame (eof, requests, exit) goes to the handler,
/// in order with the data.
///
/// `StreamPump` is the other way.
public final class StreamSink {
    public enum Event {
        /// A frame that is not data: eof, a request, started, exit, reset.
        case frame(Frame)
        /// The descriptor refused a write (its reader is gone); later data is dropped.
        case writeFailed
        /// The stream ended (or the connection was lost).
        case ended
    }

    private let channel: any Channel
    private let fd: Int32
    private let stream: MuxStream
    private var lastWrite: EventLoopFuture<Void>
    private var failed = false
    private var closed = false

    private init(channel: any Channel, fd: Int32, stream: MuxStream) {
        self.channel = channel
        self.fd = fd
        self.stream = stream
        self.lastWrite = channel.eventLoop.makeSucceededVoidFuture()
    }

    /// Starts writing the stream's data into `fd` (the sink's from now on, closed by
    /// ``close()``); `handle` sees every other event, on the stream's event loop. False when
    /// NIO cannot write the descriptor (then it is closed, and the stream is not read).
    @discardableResult
    public static func start(
        _ fd: Int32,
        from stream: MuxStream,
        handle: @escaping @Sendable (StreamSink, Event) -> Void
    ) async -> Bool {
        guard let channel = try? await NIOPipeBootstrap(group: stream.eventLoop).takingOwnershipOfDescriptor(output: fd).get() else {
            Glibc.close(fd)
            return false
        }
        let receiving = stream.eventLoop.submit { () -> Void in
            let sink = StreamSink(channel: channel, fd: fd, stream: stream)
            let bound = NIOLoopBound((sink, handle), eventLoop: stream.eventLoop)
            // NIO closes it on its own too (the reader hung up): its number is then free for
            // another descriptor, which the sink must never touch.
            channel.closeFuture.whenComplete { _ in bound.value.0.closed = true }
            stream.receiveOnLoop { frame in
                let (sink, handle) = bound.value
                guard let frame else { return handle(sink, .ended) }
                guard frame.kind == .data else { return handle(sink, .frame(frame)) }
                sink.write(frame.payload, handle: handle)
            }
        }
        return (try? await receiving.get()) != nil
    }

    private func write(_ bytes: ByteBuffer, handle: @escaping @Sendable (StreamSink, Event) -> Void) {
        let count = bytes.readableBytes
        guard !failed else { return stream.consumedOnLoop(count) }
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(bytes, promise: written)
        lastWrite = written.futureResult
        let bound = NIOLoopBound(self, eventLoop: channel.eventLoop)
        written.futureResult.whenComplete { result in
            let sink = bound.value
            sink.stream.consumedOnLoop(count)
            if case .failure = result, !sink.failed {
                sink.failed = true
                handle(sink, .writeFailed)
            }
        }
    }

    /// On the event loop: runs `body` there once every write so far is done (or failed).
    public func afterWrites(_ body: @escaping @Sendable () -> Void) {
        lastWrite.whenComplete { _ in body() }
    }

    /// On the event loop: closes the descriptor once every write so far is done.
    public func close() {
        let bound = NIOLoopBound(self, eventLoop: channel.eventLoop)
        afterWrites {
            let sink = bound.value
            guard !sink.closed else { return }
            sink.closed = true
            sink.channel.close(promise: nil)
        }
    }

    /// On the event loop: once every write so far is done, shuts the socket down `how`
    /// (`SHUT_WR`: the peer reads its end; `SHUT_RDWR`: both ways, also for the descriptor
    /// that reads it), unless the sink closed its descriptor by then (its number may be
    /// another's by now).
    public func shutdown(_ how: Int32) {
        let bound = NIOLoopBound(self, eventLoop: channel.eventLoop)
        afterWrites {
            let sink = bound.value
            if !sink.closed { _ = Glibc.shutdown(sink.fd, how) }
        }
    }
}
