/// Tells which node reached which step, and how long it took, while several nodes come up.
/// Plain lines on stderr (one per step and node), so they read the same in a terminal and a log.
struct Progress: Sendable {
    let enabled: Bool
    let notice: @Sendable (String) -> Void

    func timed<T>(_ step: String, node: String? = nil, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        let result = try await body()
        if enabled {
            let elapsed = start.duration(to: .now)
            let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            let seconds = "\(milliseconds / 1000).\(milliseconds % 1000 / 100)"
            notice("\(node.map { "\($0): " } ?? "all nodes: ")\(step) (\(seconds) s)")
        }
        return result
    }
}
