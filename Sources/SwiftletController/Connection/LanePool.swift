import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// A keeper's ``SpareLane``s: keeps `target` of them ready and hands each to one client. The
/// next opens once the keeper has been quiet a moment (no client, no lane in use): a burst of
/// commands is relayed rather than made to pay for lanes opening under it. Opening stops after
/// three failures in a row (the keeper then relays every client).
final class LanePool: Sendable {
    private struct State {
        var ready: [SpareLane] = []
        var opening = 0
        /// Transports of lanes clients took, until they end: the keeper is not idle meanwhile.
        var taken: Set<pid_t> = []
        var failuresInARow = 0
        var closed = false
        var lastActivity = ContinuousClock.now
        var lastKeepalive = ContinuousClock.now
    }

    /// How long the keeper must be quiet before a lane opens.
    static let quietBeforeOpening: Duration = .milliseconds(250)
    static let keepaliveInterval: Duration = .seconds(2)

    static let maximumFailures = 3
    /// A lane older than this is replaced: the agent's unread pings must never fill its pipe.
    static let maximumAge: Duration = .seconds(600)

    let target: Int
    private let open: @Sendable () throws -> SpareLane
    private let log: @Sendable (String) -> Void
    private let state = Locked(State())

    init(target: Int, log: @escaping @Sendable (String) -> Void, open: @escaping @Sendable () throws -> SpareLane) {
        self.target = target
        self.open = open
        self.log = log
    }

    /// A ready lane, now the caller's; nil when none is ready.
    func take() -> SpareLane? {
        state.withLock { state -> SpareLane? in
            state.lastActivity = .now
            guard !state.ready.isEmpty else { return nil }
            let lane = state.ready.removeFirst()
            state.taken.insert(lane.pid)
            return lane
        }
    }

    /// A client is being relayed (it keeps the keeper from opening lanes meanwhile).
    func noteActivity() {
        state.withLock { $0.lastActivity = .now }
    }

    /// Lanes clients hold now.
    var takenCount: Int { state.withLock { $0.taken.count } }

    /// Lanes ready for the next client.
    var readyCount: Int { state.withLock { $0.ready.count } }

    /// Opens lanes in the background until `target` are ready or opening.
    func refill() {
        let toOpen = state.withLock { state -> Int in
            guard !state.closed, state.failuresInARow < Self.maximumFailures else { return 0 }
            let count = max(0, target - state.ready.count - state.opening)
            state.opening += count
            return count
        }
        for _ in 0..<toOpen {
            BlockingThread.start { self.openOne() }
        }
    }

    /// Call a few times a second with whether a client is being relayed: sends the ready lanes
    /// their keepalives, retires old ones, and opens new ones once all is quiet. (`now` is a
    /// parameter so that tests can let time pass.)
    func tend(relaying: Bool, at now: ContinuousClock.Instant = .now) {
        let (retired, quiet) = state.withLock { state -> ([SpareLane], Bool) in
            if relaying { state.lastActivity = now }
            var retired: [SpareLane] = []
            if state.lastKeepalive.duration(to: now) >= Self.keepaliveInterval {
                state.lastKeepalive = now
                state.ready.removeAll { lane in
                    let old = lane.opened.duration(to: now) > Self.maximumAge
                    guard old || !lane.sendKeepalive() else { return false }
                    retired.append(lane)
                    return true
                }
            }
            let quiet = state.taken.isEmpty && state.lastActivity.duration(to: now) >= Self.quietBeforeOpening
            return (retired, quiet)
        }
        for lane in retired { lane.discard() }
        if quiet { refill() }
    }

    /// Ends every ready lane; lanes clients hold are theirs to close.
    func shutDown() {
        let lanes = state.withLock { state -> [SpareLane] in
            state.closed = true
            defer { state.ready = [] }
            return state.ready
        }
        for lane in lanes { lane.discard() }
    }

    private func openOne() {
        do {
            let lane = try open()
            let keep = state.withLock { state -> Bool in
                state.opening -= 1
                state.failuresInARow = 0
                guard !state.closed else { return false }
                state.ready.append(lane)
                return true
            }
            guard keep else {
                lane.discard()
                return
            }
            ChildReaper.shared.onExit(of: lane.pid) { _ in self.transportEnded(lane) }
        } catch {
            state.withLock { state in
                state.opening -= 1
                state.failuresInARow += 1
            }
            log("a spare lane did not open: \(error)")
        }
    }

    /// A taken lane's transport ended: its client is done. A ready lane ending on its own
    /// counts as a failure (the node is going away, or another agent
    /// build keeps replacing the node's daemon): lanes must not fight it.
    private func transportEnded(_ lane: SpareLane) {
        let wasReady = state.withLock { state -> Bool in
            state.lastActivity = .now
            state.taken.remove(lane.pid)
            guard let index = state.ready.firstIndex(where: { $0.pid == lane.pid }) else { return false }
            state.ready.remove(at: index)
            state.failuresInARow += 1
            return true
        }
        if wasReady { lane.closeDescriptors() }
    }
}
