import NIOCore
@testable import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTestSupport
import SwiftletTransport
import Testing

/// The controller's gang over in-memory connections: the test plays every node, so what the
/// controller sends and shows is seen exactly, with no process anywhere.
@Suite struct GangRunInMemoryTests {
    /// What the node of one rank does with the exec stream it gets: says it started, writes a
    /// line, then exits with `exit`, or (nil) waits for a signal and dies of it.
    struct FakeNode {
        let link: BackToBackConnection
        let requests = Locked([StreamRequest]())

        func serve(pid: UInt32, line: String, exit: Int32?) {
            let agent = link.agent
            let requests = self.requests
            Task {
                for await (frame, frames) in agent.acceptedStreams {
                    let stream = agent.stream(accepting: frame, frames: frames)
                    var started = ByteBuffer()
                    started.writeInteger(pid)
                    try await stream.send(.started, payload: started)
                    try await stream.send(.data, ByteBuffer(string: line + "\n"))
                    if let exit {
                        try await stream.send(.exit, payload: ExitStatus(code: exit).payload)
                        continue
                    }
                    for await inbound in stream.inbound where inbound.kind == .request {
                        let request = try StreamRequest(payload: inbound.payload)
                        requests.withLock { $0.append(request) }
                        if case .signal(let number) = request {
                            try await stream.send(.exit, payload: ExitStatus.killed(by: Int32(number)).payload)
                            break
                        }
                    }
                }
            }
        }

        func session(_ rank: Int) -> NodeSession {
            NodeSession(
                name: "node \(rank) (memory)",
                address: .local(home: "/memory/\(rank)"),
                connection: link.controller,
                transportPID: nil
            )
        }
    }

    final class Collected: JobOutput {
        let lines = Locked((stdout: "", events: [JobEvent]()))
        func write(_ lines: UnsafeRawBufferPointer, to stream: SwiftletController.OutputStream) {
            self.lines.withLock { $0.stdout += String(decoding: lines, as: UTF8.self) }
        }
        func report(_ event: JobEvent) { lines.withLock { $0.events.append(event) } }
    }

    @Test func theFirstRankToFailStopsTheOthersAndEveryLineIsPrefixed() async throws {
        var nodes: [FakeNode] = []
        for _ in 0..<3 { nodes.append(FakeNode(link: try await BackToBackConnection.open())) }
        nodes[0].serve(pid: 100, line: "zero", exit: nil)
        nodes[1].serve(pid: 101, line: "one", exit: 3)
        nodes[2].serve(pid: 102, line: "two", exit: nil)
        let output = Collected()
        let ranks = (0..<3).map { rank in
            GangRun.Rank(
                session: nodes[rank].session(rank),
                request: ExecRequest(command: "train"),
                prefix: Prefixes.run(task: "t", rank: rank, ip: "10.0.0.\(rank)", multiNode: true)
            )
        }
        let gang = await GangRun(ranks: ranks, output: output).run()
        #expect(gang.firstFailure == .init(rank: 1, outcome: .exited(3)))
        #expect(gang.exitCodes == [137, 3, 137])
        // Each of the other ranks got exactly one request: SIGKILL for its whole tree.
        #expect(nodes[0].requests.withLock { $0 } == [.signal(9)])
        #expect(nodes[2].requests.withLock { $0 } == [.signal(9)])
        #expect(nodes[1].requests.withLock { $0 }.isEmpty)
        let lines = Set(output.lines.withLock { $0.stdout }.split(separator: "\n"))
        let expected: Set<Substring> = [
            "(head, rank=0, pid=100) zero", "(worker1, rank=1, pid=101, ip=10.0.0.1) one", "(worker2, rank=2, pid=102, ip=10.0.0.2) two",
        ]
        #expect(lines == expected)
        for node in nodes { await node.link.close() }
    }

    @Test func aDetachLetsTheRanksGoOnAndTellsEachToOutliveTheConnection() async throws {
        var nodes: [FakeNode] = []
        for _ in 0..<2 { nodes.append(FakeNode(link: try await BackToBackConnection.open())) }
        nodes[0].serve(pid: 200, line: "a", exit: nil)
        nodes[1].serve(pid: 201, line: "b", exit: nil)
        let ranks = (0..<2).map { rank in
            GangRun.Rank(session: nodes[rank].session(rank), request: ExecRequest(command: "x"), prefix: { _ in "" })
        }
        let detach = DetachRequest()
        let output = Collected()
        async let ending = GangRun(ranks: ranks, output: output).run(detach: detach)
        // Once both ranks wrote their line, the person presses Ctrl-C.
        while output.lines.withLock({ $0.stdout.count }) < 4 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(detach.fire(), "a gang in progress carries the detach out")
        guard case .detached = await ending else {
            Issue.record("the gang did not detach")
            return
        }
        for node in nodes {
            for _ in 0..<100 where node.requests.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(node.requests.withLock { $0 } == [.detach], "no signal: the rank goes on")
        }
        for node in nodes { await node.link.close() }
    }
}
