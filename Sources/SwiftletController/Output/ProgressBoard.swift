/// What each node is doing while a cluster comes up: the steps it finished (and how long each
/// took) and the one it is in. Pure: the display renders it, tests drive it with their own clock.
struct ProgressBoard: Sendable {
    struct Row: Sendable, Equatable {
        var node: String
        var finished: [(step: String, took: Duration)] = []
        var current: (step: String, since: ContinuousClock.Instant)?

        static func == (lhs: Row, rhs: Row) -> Bool {
            lhs.node == rhs.node && lhs.finished.map(\.step) == rhs.finished.map(\.step) && lhs.current?.step == rhs.current?.step
        }
    }

    private(set) var rows: [Row] = []

    /// `node` starts `step` (its present-tense name: "connecting", "syncing files").
    mutating func begin(_ step: String, node: String, at now: ContinuousClock.Instant) {
        if let index = rows.firstIndex(where: { $0.node == node }) {
            rows[index].current = (step, now)
        } else {
            rows.append(Row(node: node, current: (step, now)))
        }
    }

    /// `node`'s current step says more of itself (a pull's layers), its time running on; a
    /// node with no current step begins `step`.
    mutating func update(_ step: String, node: String, at now: ContinuousClock.Instant) {
        guard let index = rows.firstIndex(where: { $0.node == node }), let since = rows[index].current?.since else {
            return begin(step, node: node, at: now)
        }
        rows[index].current = (step, since)
    }

    /// `node` finished its current step, named `done` ("agent up"); returns how long it took.
    @discardableResult
    mutating func finish(_ done: String, node: String, at now: ContinuousClock.Instant) -> Duration {
        guard let index = rows.firstIndex(where: { $0.node == node }), let current = rows[index].current else { return .zero }
        let took = current.since.duration(to: now)
        rows[index].finished.append((done, took))
        rows[index].current = nil
        return took
    }

    /// One line per node: `node 1 (10.0.0.2)  agent up 0.4 s · syncing files 1.2 s…`.
    func render(at now: ContinuousClock.Instant) -> [String] {
        let width = rows.map(\.node.count).max() ?? 0
        return rows.map { row in
            var parts = row.finished.map { "\($0.step) \(Self.seconds($0.took))" }
            if let current = row.current { parts.append("\(current.step) \(Self.seconds(current.since.duration(to: now)))…") }
            return row.node.padding(toLength: width) + "  " + parts.joined(separator: " · ")
        }
    }

    /// `1.2 s`: tenths of a second.
    static func seconds(_ duration: Duration) -> String {
        let tenths = duration.components.seconds * 10 + duration.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }
}
