import SwiftletPOSIX

/// Tells which node is at which step, and how long it took, while several nodes come up. On a
/// terminal the board is redrawn in place ten times a second; elsewhere (a log, a pipe) each step
/// a node finishes is one plain line.
final class Progress: Sendable {
    let enabled: Bool
    let live: Bool
    let notice: @Sendable (String) -> Void
    private let state = Locked(State())

    private struct State {
        var board = ProgressBoard()
        var drawnLines = 0
        var settled = false
        var ticker: Task<Void, Never>?
    }

    init(enabled: Bool, live: Bool = Terminal.stderrIsTerminal, notice: @escaping @Sendable (String) -> Void) {
        self.enabled = enabled
        self.live = enabled && live
        self.notice = notice
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
        if !isLive { notice("\(name): \(done) (\(ProgressBoard.seconds(took)))") }
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
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func redraw() {
        let text = state.withLock { state in
            let lines = state.board.render(at: .now)
            // Up over what was drawn before, then each line cleared and written again.
            let up = state.drawnLines > 0 ? "\u{1B}[\(state.drawnLines)A" : ""
            state.drawnLines = lines.count
            return up + lines.map { "\r\u{1B}[2K" + $0 + "\n" }.joined()
        }
        Terminal.err(text)
    }
}
