import SwiftletPOSIX
import SwiftletTestSupport
import Testing

@testable import SwiftletAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The grace between SIGTERM and SIGKILL is measured on an injected clock: a process that
/// ignores SIGTERM lives through any real time until the clock passes the grace.
@Suite struct ProcessTerminatorTests {
    // The limit only guards against a hang (a loaded CI run has taken over a minute).
    @Test(.timeLimit(.minutes(3))) func aProcessThatIgnoresSIGTERMIsKilledOnlyOnceTheGraceHasPassed() async throws {
        let pipes = try ProcessSpawner.spawn(
            ["/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"],
            environment: ["PATH": "/usr/bin:/bin"],
            workingDirectory: nil
        )
        defer { for fd in [pipes.stdin, pipes.stdout, pipes.stderr] { close(fd) } }
        let stdout = pipes.stdout
        // The trap is set (read on a thread of its own, not one of the shared pool's).
        #expect(
            await BlockingThread.value {
                var byte: UInt8 = 0; return read(stdout, &byte, 1)
            } == 1
        )
        let process = try #require(ProcessIdentity.of(pipes.pid))
        let clock = ManualClock()
        let terminator = ProcessTerminator(grace: .seconds(600), clock: LoopClock(clock))
        let done = Task { await terminator.terminate(process) }
        // A second of real time, with the manual clock short of the grace: SIGTERM was ignored.
        await clock.waitForSleepers()
        clock.advance(by: .seconds(599))
        try await Task.sleep(for: .seconds(1))
        #expect(process.isRunning)
        // Past the grace: SIGKILL, and the terminator returns once the process is gone.
        let ticking = Task {
            while !Task.isCancelled {
                await clock.waitForSleepers()
                clock.advance(by: .milliseconds(50))
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        await done.value
        ticking.cancel()
        #expect(!process.isRunning)
        _ = await ChildReaper.shared.termination(of: pipes.pid)
    }
}
