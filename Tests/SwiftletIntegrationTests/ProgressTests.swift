import Foundation
import Testing

@testable import SwiftletController

/// The bring-up display: a board redrawn in place on a terminal, plain lines elsewhere.
@Suite struct ProgressTests {
    let cli = CommandLineTests()

    @Test func theBoardShowsEachNodesStepsAndTheOneItIsIn() {
        let start = ContinuousClock.now
        var board = ProgressBoard()
        board.begin("connecting", node: "node 0 (10.0.0.1)", at: start)
        board.begin("connecting", node: "node 1", at: start)
        board.finish("agent up", node: "node 0 (10.0.0.1)", at: start + .milliseconds(420))
        board.begin("syncing files", node: "node 0 (10.0.0.1)", at: start + .milliseconds(420))
        #expect(
            board.render(at: start + .milliseconds(1_650)) == [
                "node 0 (10.0.0.1)  agent up 0.4 s · syncing files 1.2 s…",
                "node 1             connecting 1.6 s…",
            ]
        )
    }

    @Test func aLongPullIsToldWhenItStartsAndAgainEveryHalfMinute() {
        let output = JobOutputTests.CollectedOutput()
        let progress = Progress(enabled: true, output: output)
        let start = ContinuousClock.now
        let node = "node 0 (10.0.0.1)"
        progress.update("pulling img", key: "pulling", node: node, at: start)
        progress.update("pulling img, 3 layers so far", key: "pulling", node: node, at: start + .seconds(10))
        progress.update("pulling img, 7 layers so far", key: "pulling", node: node, at: start + .seconds(31))
        progress.update("starting its container", key: "starting", node: node, quiet: true, at: start + .seconds(40))
        progress.finish("container up", node: node, at: start + .seconds(41))
        #expect(
            output.collected.withLock { $0.events } == [
                .nodeStep(node: node, step: "pulling img"),
                .nodeStep(node: node, step: "pulling img, 7 layers so far"),
                .stepFinished(node: node, step: "container up", took: "41.0 s"),
            ]
        )
    }

    @Test func aPlainLineSaysHowLongTheStepReallyTook() async {
        let output = JobOutputTests.CollectedOutput()
        let progress = Progress(enabled: true, output: output)
        await progress.timed("setup") { try? await Task.sleep(for: .milliseconds(300)) }
        let events = output.collected.withLock { $0.events }
        guard case .stepFinished("all nodes", "setup", let took) = events.first, let seconds = Double(took.dropLast(2)) else {
            Issue.record("\(events)")
            return
        }
        #expect(seconds >= 0.3, "\(took)")
    }

    @Test func anUpdatedStepKeepsItsTimeOnTheBoard() {
        let start = ContinuousClock.now
        var board = ProgressBoard()
        board.update("pulling img", node: "node 0", at: start)
        board.update("pulling img, 2 layers so far", node: "node 0", at: start + .seconds(2))
        #expect(board.render(at: start + .seconds(3)) == ["node 0  pulling img, 2 layers so far 3.0 s…"])
    }

    @Test func onATerminalTheBoardIsRedrawnInPlace() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("num_nodes: 3\nsetup: echo set\nrun: echo ran\n", home: home)
        // `script` gives the command a terminal; its output is what the terminal received.
        let command = [
            "SWIFTLET_HOME='\(home.path)'", "SWIFTLET_AGENT_BINARY='\(TestSupport.agentPath)'",
            "'\(TestSupport.controllerPath)'", "launch", "'\(task)'", "-c", "tty",
        ].joined(separator: " ")
        let run = try await TestSupport.shell("script -qec \"\(command)\" /dev/null")
        #expect(run.code == 0, "\(run.output)")
        #expect(run.output.contains("\u{1B}[3A"), "the cursor goes back up over the three nodes' lines")
        for node in 0..<3 {
            #expect(run.output.contains("\u{1B}[2Knode \(node) (local)  agent up "))
        }
        #expect(!run.output.contains("node 0 (local): agent up ("), "no plain lines on a terminal")
        // The board stops before setup's output, and is not drawn over it afterwards.
        let afterSetup = try #require(run.output.range(of: "(setup pid=")?.upperBound)
        #expect(!run.output[afterSetup...].contains("\u{1B}["))
    }

    @Test func elsewhereEachStepIsAPlainLine() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("num_nodes: 2\nrun: echo ran\n", home: home)
        let run = try await cli.swiftlet(["launch", task, "-c", "plain"], home: home)
        #expect(run.code == 0)
        #expect(!run.stderr.contains("\u{1B}["))
        #expect(run.stderr.contains("node 0 (local): agent up ("))
        #expect(run.stderr.contains("node 1 (local): agent up ("))
    }
}
