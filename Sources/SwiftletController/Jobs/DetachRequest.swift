import SwiftletPOSIX

/// The person at the controller asked to detach from an attached run (Ctrl-C under `launch` or
/// `exec`): what runs goes on on the nodes, handed to a supervisor where it still needs one. The
/// CLI's signal policy fires it; a gang in progress waits on it and carries the detach out.
public final class DetachRequest: Sendable {
    private struct State {
        var fired = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Locked(State())

    public init() {}

    public var isFired: Bool { state.withLock { $0.fired } }

    /// Asks for the detach. Returns whether something in progress will carry it out (a gang is
    /// waiting on it); when not, nothing was started that a detach could hand over.
    @discardableResult
    public func fire() -> Bool {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
        return !waiters.isEmpty
    }

    /// Returns once the detach is asked for, or at once when the task is cancelled (then
    /// ``isFired`` tells which).
    func wait() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
