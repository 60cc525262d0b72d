@testable import SwiftletController
import Testing

/// The gang's rules, without a process: the first rank to fail stops every rank still running,
/// once; later endings change nothing but their own codes.
@Suite struct GangStateMachineTests {
    @Test func theFirstFailureStopsEveryRankStillRunningOnce() {
        var gang = GangStateMachine(rankCount: 4)
        #expect(gang.rankEnded(0, .exited(0)) == .none)
        #expect(gang.rankEnded(2, .exited(3)) == .kill([1, 3]))
        // The stopped ranks end as killed: no second round of kills, the first failure stays.
        #expect(gang.rankEnded(1, .exited(137)) == .none)
        #expect(gang.rankEnded(3, .lost("node 3: gone")) == .none)
        #expect(gang.isFinished)
        #expect(gang.firstFailure == .init(rank: 2, outcome: .exited(3)))
        #expect(gang.exitCodes == [0, 137, 3, 255])
        let described = gang.firstFailure?.describe(nodes: ["n0", "n1", "node 2 (10.0.0.3)", "n3"])
        #expect(described == "rank 2 on node 2 (10.0.0.3) exited with return code 3")
        #expect(gang.firstFailure?.exitCode == 3)
    }

    @Test func aGangThatSucceedsKillsNothing() {
        var gang = GangStateMachine(rankCount: 3)
        for rank in [2, 0, 1] { #expect(gang.rankEnded(rank, .exited(0)) == .none) }
        #expect(gang.firstFailure == nil && gang.isFinished && gang.exitCodes == [0, 0, 0])
    }

    @Test func aLostNodeFailsTheGangWith255AndIsNamedByItsMessage() {
        var gang = GangStateMachine(rankCount: 2)
        #expect(gang.rankEnded(1, .lost("node 1 (10.0.0.5): lost the connection to the agent")) == .kill([0]))
        #expect(gang.firstFailure?.exitCode == 255)
        #expect(gang.firstFailure?.describe(nodes: ["a", "b"]) == "node 1 (10.0.0.5): lost the connection to the agent")
        #expect(gang.exitCodes == [-1, 255], "a rank not yet ended has no code")
    }

    @Test func aRankThatEndsTwiceCountsOnce() {
        var gang = GangStateMachine(rankCount: 2)
        #expect(gang.rankEnded(0, .exited(0)) == .none)
        #expect(gang.rankEnded(0, .exited(9)) == .none)
        #expect(gang.firstFailure == nil && gang.exitCodes == [0, -1])
    }

    @Test func oneRankAloneIsNamedWithoutItsNode() {
        var gang = GangStateMachine(rankCount: 1)
        #expect(gang.rankEnded(0, .exited(1)) == .none, "nothing else runs")
        #expect(gang.firstFailure?.describe(nodes: ["node 0 (local)"]) == "rank 0 exited with return code 1")
    }
}
