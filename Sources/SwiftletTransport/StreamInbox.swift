import NIOConcurrencyHelpers
import NIOCore
import SwiftletProtocol

/// The frames the peer sent on one stream, until its consumer takes them: either an async
/// iteration (``next()``), or a handler on the connection's event loop
/// (``receiveOnLoop(_:)``), which sees each frame as the connection reads it, with no thread
/// between (a terminal's keystrokes, a forwarded connection's bytes).
///
/// Frames that came before the handler was set are handed to it first, in order.
public final class StreamInbox: Sendable {
    private struct State {
        var queue: [Frame] = []
        var ended = false
        var waiter: CheckedContinuation<Frame?, Never>?
        var handler: (@Sendable (Frame?) -> Void)?
    }

    private let state = NIOLockedValueBox(State())

    /// On the event loop: a frame from the peer.
    func deliver(_ frame: Frame) {
        let (handler, waiter) = state.withLockedValue { state -> ((@Sendable (Frame?) -> Void)?, CheckedContinuation<Frame?, Never>?) in
            if state.ended { return (nil, nil) }
            if let handler = state.handler { return (handler, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (nil, waiter)
            }
            state.queue.append(frame)
            return (nil, nil)
        }
        handler?(frame)
        waiter?.resume(returning: frame)
    }

    /// On the event loop: the stream (or the connection) ended; nothing more comes.
    func finish() {
        let (handler, waiter) = state.withLockedValue { state -> ((@Sendable (Frame?) -> Void)?, CheckedContinuation<Frame?, Never>?) in
            if state.ended { return (nil, nil) }
            state.ended = true
            defer { state.waiter = nil }
            return (state.handler, state.waiter)
        }
        handler?(nil)
        waiter?.resume(returning: nil)
    }

    /// The next frame, or nil once the stream ended or the waiting task was cancelled (as an
    /// `AsyncStream` does, the inbox then ends).
    func next() async -> Frame? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Frame?, Never>) in
                let answer: Frame?? = state.withLockedValue { state in
                    precondition(state.handler == nil && state.waiter == nil, "a stream's frames have one reader")
                    if !state.queue.isEmpty { return .some(state.queue.removeFirst()) }
                    if state.ended || Task.isCancelled {
                        state.ended = true
                        return .some(nil)
                    }
                    state.waiter = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state in
                state.ended = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// On the event loop: from now on every frame goes to `handler` there, as it is read; nil
    /// once the stream ended. Frames already here go first. Not while ``next()`` waits.
    func receiveOnLoop(_ handler: @escaping @Sendable (Frame?) -> Void) {
        let (queued, ended) = state.withLockedValue { state in
            precondition(state.handler == nil && state.waiter == nil, "a stream's frames have one reader")
            state.handler = handler
            defer { state.queue = [] }
            return (state.queue, state.ended)
        }
        for frame in queued { handler(frame) }
        if ended { handler(nil) }
    }
}
