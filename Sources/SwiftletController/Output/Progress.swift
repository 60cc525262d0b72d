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
    }

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
            guard live, !state.settled else { return false }
            state.board.begin(doing ?? done, node: name, at: .now)
            if state.ticker == nil { state.ticker = Task { [weak self] in await self?.tick() } }
            return true
        }
        let result = try await body()
        let took = state.withLock { $0.board.finish(done, node: name, at: .now) }
        if !isLive { output.report(.stepFinished(node: name, step: done, took: ProgressBoard.seconds(took))) }
        return result
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
