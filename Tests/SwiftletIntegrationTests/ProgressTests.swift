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
