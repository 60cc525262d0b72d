import SwiftletPOSIX

/// Tells which node is at which step, and how long it took, while several nodes come up. Where
/// the output draws a live board (a terminal) it is drawn anew ten times a second; elsewhere (a
/// log, a pipe) each step a node finishes is one event.
final class Progress: Sendable {
    let enabled: Bool
    let live: Bool
    let output: any JobOutput
    /// The time between redraws of a live board.
    let clock: LoopClock
    private let state = Locked(State())

    private struct State {
        var board = ProgressBoard()
        var settled = false
        var ticker: Task<Void, Never>?
        /// What was last written of each node's updated step, and when (without a live board).
        var told: [String: (key: String, at: ContinuousClock.Instant)] = [:]
    }

    /// How often a step that goes on (a slow pull) is told again where no live board is drawn.
    static let retellAfter: Duration = .seconds(30)

    init(enabled: Bool, output: any JobOutput, clock: LoopClock = .continuous) {
        self.enabled = enabled
        self.clock = clock
        self.live = enabled && output.drawsLiveBoard
        self.output = output
    }

    /// Runs `body` as `node`'s step: `doing` while it runs, `done` once finished.
    func timed<T>(_ done: String, doing: String? = nil, node: String? = nil, _ body: () async throws -> T) async rethrows -> T {
        guard enabled else { return try await body() }
        let name = node ?? "all nodes"
        let isLive = state.withLock { state in
            // Begun on the board live or not: a plain line says how long the step took.
            state.board.begin(doing ?? done, node: name, at: .now)
            guard live, !state.settled else { return false }
            if state.ticker == nil { state.ticker = Task { [weak self] in await self?.tick() } }
            return true
        }
        let result = try await body()
        let took = state.withLock { $0.board.finish(done, node: name, at: .now) }
        if !isLive { output.report(.stepFinished(node: name, step: done, took: ProgressBoard.seconds(took))) }
        return result
    }

    /// `node` is `doing` (a step that reports as it goes: a pull's layers). A live board shows
    /// each update; elsewhere a line is written when the step's `key` changes, and again every
    /// ``retellAfter`` while it lasts, so a long pull says so; a `quiet` step (a quick one) only
    /// ever shows on a live board.
    func update(_ doing: String, key: String, node: String, quiet: Bool = false, at now: ContinuousClock.Instant = .now) {
        guard enabled else { return }
        let tell = state.withLock { state -> Bool in
            state.board.update(doing, node: node, at: now)
            if live, !state.settled, state.ticker == nil { state.ticker = Task { [weak self] in await self?.tick() } }
            guard !live || state.settled, !quiet else { return false }
            if let told = state.told[node], told.key == key, told.at.duration(to: now) < Self.retellAfter { return false }
            state.told[node] = (key, now)
            return true
        }
        if tell { output.report(.nodeStep(node: node, step: doing)) }
    }

    /// `node` finished the step it was updating, named `done` ("container up").
    func finish(_ done: String, node: String, at now: ContinuousClock.Instant = .now) {
        guard enabled else { return }
        let (took, isLive) = state.withLock { state in
            (state.board.finish(done, node: node, at: now), live && !state.settled)
        }
        if !isLive { output.report(.stepFinished(node: node, step: done, took: ProgressBoard.seconds(took))) }
    }

    /// Stops redrawing and leaves the board's last state on the screen, before output that is
    /// not the board's (setup's lines) begins.
    func settle() {
        guard live else { return }
        let (ticker, first) = state.withLock { state in
            defer { state.settled = true }
            return (state.ticker, !state.settled)
        }
        guard first else { return }
        ticker?.cancel()
        redraw()
    }

    private func tick() async {
        while !Task.isCancelled {
            redraw()
            await clock.pause(for: .milliseconds(100))
        }
    }

    private func redraw() {
        output.drawBoard(state.withLock { $0.board.render(at: .now) })
    }
}
