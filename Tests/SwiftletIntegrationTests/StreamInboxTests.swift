import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTestSupport
import SwiftletTransport
import Testing

/// A stream's frames reach either an async reader or a handler on the connection's event loop,
/// in the order the peer sent them, whichever way and whenever the consumer starts.
@Suite struct StreamInboxTests {
    @Test(.timeLimit(.minutes(3)))
    func framesThatCameBeforeTheLoopHandlerReachItFirstInOrder() async throws {
        let pair = try await BackToBackConnection.open(capabilities: [StreamType.exec.capability])
        let opened = try await pair.controller.openStream(.exec, request: ByteBuffer())
        var accepted = pair.agent.acceptedStreams.makeAsyncIterator()
        let (opening, inbox) = try #require(await accepted.next())
        let stream = pair.agent.stream(accepting: opening, frames: inbox)
        for word in ["a", "b", "c"] { try await opened.send(.data, ByteBuffer(string: word)) }
        // The first by the async reader; the rest wait for the handler, queued.
        var reader = stream.inbound
        let first = try #require(await reader.next())
        try await Task.sleep(for: .milliseconds(300))
        let seen = Locked([String]())
        let ended = stream.eventLoop.makePromise(of: Void.self)
        try await stream.eventLoop.submit {
            stream.receiveOnLoop { frame in
                guard let frame else { return ended.succeed() }
                let text = frame.kind == .data ? String(buffer: frame.payload) : "\(frame.kind)"
                seen.withLock { $0.append(text) }
                if frame.kind == .data { stream.consumedOnLoop(frame.payload.readableBytes) }
            }
        }.get()
        try await opened.send(.data, ByteBuffer(string: "d"))
        try await opened.send(.eof)
        try await opened.reset(.cancelled, "done")
        try await ended.futureResult.get()
        #expect(String(buffer: first.payload) == "a")
        #expect(seen.withLock { $0 } == ["b", "c", "d", "\(FrameKind.eof)", "\(FrameKind.reset)"])
        await pair.close()
    }

    @Test(.timeLimit(.minutes(3)))
    func aReaderThatIsCancelledWhileWaitingGetsTheEnd() async throws {
        let pair = try await BackToBackConnection.open(capabilities: [StreamType.exec.capability])
        let opened = try await pair.controller.openStream(.exec, request: ByteBuffer())
        let waiting = Task {
            var reader = opened.inbound
            return await reader.next()
        }
        try await Task.sleep(for: .milliseconds(200))
        waiting.cancel()
        #expect(await waiting.value == nil)
        await pair.close()
    }
}
