import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTestSupport
import Testing

@testable import SwiftletController

/// A rank whose node stays out of reach is given the reconnect grace on an injected clock: the
/// test moves twenty seconds on in no time and sees the node named as unreachable.
@Suite struct RankResumptionTests {
    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "connection refused" }
    }

    // The limit only guards against a hang: a loaded CI run starved this test of the shared
    // pool for over a minute.
    @Test(.timeLimit(.minutes(3))) func aNodeThatStaysUnreachableForTheGraceIsReportedByName() async throws {
        let clock = ManualClock()
        let tries = Locked(0)
        let output = GangRunInMemoryTests.Collected()
        let resumption = RankResumption(
            name: "node 2 (10.0.0.2)",
            job: JobReference(cluster: "c", id: 7, step: .run),
            reconnect: {
                tries.withLock { $0 += 1 }
                throw Unreachable()
            },
            adopt: { _ in },
            output: output,
            clock: LoopClock(clock)
        )
        let outcome = Task {
            var stdout = LinePrefixer(prefix: "")
            return await resumption.run(from: 0, stdout: &stdout)
        }
        // Short of the grace it keeps trying, once per half second of the clock.
        for _ in 0..<10 {
            await clock.waitForSleepers()
            clock.advance(by: .milliseconds(500))
        }
        #expect(tries.withLock { $0 } >= 10)
        let ticking = Task {
            while !Task.isCancelled {
                await clock.waitForSleepers()
                clock.advance(by: .seconds(1))
            }
        }
        let ending = await outcome.value
        ticking.cancel()
        guard case .unreachable(let message) = ending else {
            Issue.record("expected unreachable, got \(ending)")
            return
        }
        #expect(message.contains("node 2 (10.0.0.2)"))
        #expect(message.contains("connection refused"))
        #expect(output.lines.withLock { $0.events }.contains(.connectionLost(node: "node 2 (10.0.0.2)")))
    }
}
