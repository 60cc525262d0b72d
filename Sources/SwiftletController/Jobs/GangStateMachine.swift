/// Gang semantics of one phase (setup or run) across ranks: all start together, and the first
/// rank to fail gets every other rank still running killed. Pure: events in, actions out.
public struct GangStateMachine: Sendable, Equatable {
    /// How a rank ended.
    public enum Outcome: Sendable, Equatable {
        case exited(Int32)
        /// The rank's node could not be reached any more (or the process could not start).
        case lost(String)
        /// The rank's node stayed out of reach: the rank may well go on there.
        case unreachable(String)
        /// The job was cancelled (`swiftlet cancel`) while the rank ran.
        case cancelled
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

        /// As SkyPilot says it: "rank 2 on node 2 (10.0.0.3) exited with return code 3"; `nodes`
        /// names each rank's node, and a single node goes unnamed.
        public func describe(nodes: [String]) -> String {
            switch outcome {
            case .exited(let code):
                let place = nodes.count > 1 ? " on \(nodes[rank])" : ""
                return "rank \(rank)\(place) exited with return code \(code)"
            case .lost(let message), .unreachable(let message):
                return message
            case .cancelled:
                return "rank \(rank)\(nodes.count > 1 ? " on \(nodes[rank])" : "") was cancelled"
            }
        }

        /// The exit code of the command that ran the job: the rank's, 103 for a cancelled job (as
        /// `logs` says it), or 255 for a lost node.
        public var exitCode: Int32 {
            switch outcome {
            case .exited(let code): code
            case .cancelled: 103
            case .lost, .unreachable: 255
            }
        }
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
            case .lost, .unreachable: 255
            case .cancelled: 137
            case nil: -1
            }
        }
    }
}
