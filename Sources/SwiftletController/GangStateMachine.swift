/// Gang semantics of one phase (setup or run) across ranks: all start together, and the first
/// rank to fail gets every other rank still running killed. Pure: events in, actions out.
public struct GangStateMachine: Sendable, Equatable {
    /// How a rank ended.
    public enum Outcome: Sendable, Equatable {
        case exited(Int32)
        /// The rank's node could not be reached any more (or the process could not start).
        case lost(String)
    }

    public enum Action: Sendable, Equatable {
        case none
        /// Kill the whole process tree of each of these ranks.
        case kill([Int])
    }

    /// The first failure, which names the job's outcome.
    public struct Failure: Sendable, Equatable {
        public var rank: Int
        public var outcome: Outcome
    }

    public let rankCount: Int
    public private(set) var outcomes: [Outcome?]
    public private(set) var firstFailure: Failure?

    public init(rankCount: Int) {
        self.rankCount = rankCount
        self.outcomes = Array(repeating: nil, count: rankCount)
    }

    public var isFinished: Bool { outcomes.allSatisfy { $0 != nil } }

    public mutating func rankEnded(_ rank: Int, _ outcome: Outcome) -> Action {
        guard outcomes[rank] == nil else { return .none }
        outcomes[rank] = outcome
        guard firstFailure == nil, outcome != .exited(0) else { return .none }
        firstFailure = Failure(rank: rank, outcome: outcome)
        let running = (0..<rankCount).filter { outcomes[$0] == nil }
        return running.isEmpty ? .none : .kill(running)
    }

    /// Exit codes in rank order; a lost rank counts as 255, as ssh reports a lost connection.
    public var exitCodes: [Int32] {
        outcomes.map { outcome in
            switch outcome {
            case .exited(let code): code
            case .lost: 255
            case nil: -1
            }
        }
    }
}
