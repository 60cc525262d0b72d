import SwiftletPOSIX
import SwiftletTestSupport
import Testing

@testable import SwiftletAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's clock is injected: ten idle minutes pass in no time at all.
@Suite struct DaemonLifecycleTests {
    @Test func theDaemonStopsOnceItsClockSaysItWasIdleLongEnough() async throws {
        // Under the test run's own temp folder, which the test command removes.
        let home = (Environment.get("TMPDIR") ?? "/tmp") + "/swiftlet-lifecycle-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let paths = RuntimePaths(home: home)
        try paths.prepare()
        let lock = try #require(try FileLock(path: paths.lock))
        let listener = try UnixSocket.listen(path: paths.socket)
        let lifecycle = Daemon.Lifecycle(paths: paths, listener: listener, lock: lock, idleLimit: .seconds(600))
        let clock = ManualClock()
        let idleSince = clock.now
        let ticking = Task {
            await lifecycle.tick(every: .seconds(1), on: LoopClock(clock)) { idleSince.duration(to: clock.now) }
        }
        async let reason = lifecycle.stopped()
        for _ in 0..<599 {
            await clock.waitForSleepers()
            clock.advance(by: .seconds(1))
        }
        await clock.waitForSleepers()
        clock.advance(by: .seconds(1))
        #expect(await reason == "idle")
        ticking.cancel()
        close(listener)
    }
}
