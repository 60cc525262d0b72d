import Dispatch
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// A keeper's ``SpareLane``s: keeps `target` of them ready, hands each to one client, and opens
/// the next in the background when that client is done. Opening stops after three failures in a
/// row (the keeper then relays every client).
final class LanePool: Sendable {
    private struct State {
        var ready: [SpareLane] = []
        var opening = 0
        /// Transports of lanes clients took, until they end: the keeper is not idle meanwhile.
        var taken: Set<pid_t> = []
        var failuresInARow = 0
        var closed = false
    }

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

    /// A ready lane, now the caller's; nil when none is ready. The next one opens once this
    /// one's client is done (its transport ended), not while that client's command runs.
    func take() -> SpareLane? {
        let lane = state.withLock { state -> SpareLane? in
            guard !state.ready.isEmpty else { return nil }
            let lane = state.ready.removeFirst()
            state.taken.insert(lane.pid)
            return lane
        }
        if lane == nil { refill() }
        return lane
    }

    /// Lanes clients hold now.
    var takenCount: Int { state.withLock { $0.taken.count } }

    /// Opens lanes in the background until `target` are ready or opening.
    func refill() {
        let toOpen = state.withLock { state -> Int in
            guard !state.closed, state.failuresInARow < Self.maximumFailures else { return 0 }
            let count = max(0, target - state.ready.count - state.opening)
            state.opening += count
            return count
        }
        for _ in 0..<toOpen {
            DispatchQueue.global().async { self.openOne() }
        }
    }

    /// Sends each ready lane its keepalive and retires the old ones; call every couple of seconds.
    func tend() {
        let retired = state.withLock { state -> [SpareLane] in
            var retired: [SpareLane] = []
            state.ready.removeAll { lane in
                let old = lane.opened.duration(to: .now) > Self.maximumAge
                guard old || !lane.sendKeepalive() else { return false }
                retired.append(lane)
                return true
            }
            return retired
        }
        for lane in retired { lane.discard() }
        if !retired.isEmpty { refill() }
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

    /// A taken lane's transport ended: its client is done, and the next lane opens. A ready
    /// lane ending on its own counts as a failure (the node is going away, or another agent
    /// build keeps replacing the node's daemon): lanes must not fight it.
    private func transportEnded(_ lane: SpareLane) {
        let wasReady = state.withLock { state -> Bool in
            state.taken.remove(lane.pid)
            guard let index = state.ready.firstIndex(where: { $0.pid == lane.pid }) else { return false }
            state.ready.remove(at: index)
            state.failuresInARow += 1
            return true
        }
        if wasReady { lane.closeDescriptors() }
        refill()
    }
}
