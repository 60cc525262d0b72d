import Foundation
@testable import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// When a keeper opens its spare lanes, with real child processes standing in for transports.
@Suite struct LanePoolTests {
    /// Opens "lanes" that are `sleep` processes (long enough to outlast a slow suite), counting the attempts; fails while `failing`.
    final class Opener: @unchecked Sendable {
        private let lock = Lock()
        private var attempts = 0
        var failing = false

        var count: Int { lock.withLock { attempts } }

        func open() throws -> SpareLane {
            lock.withLock { attempts += 1 }
            if lock.withLock({ failing }) { throw ControllerError("the node is away") }
            let pipes = try ProcessSpawner.spawn(["/bin/sleep", "120"], environment: [:], workingDirectory: nil)
            close(pipes.stderr)
            let hello = Hello(role: "agent", buildID: "test", os: "linux", arch: "x86_64", capabilities: [])
            return SpareLane(pid: pipes.pid, input: pipes.stdout, output: pipes.stdin, version: 1, peer: hello, opened: .now)
        }
    }

    func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func theNextLaneOpensOnlyOnceTheLastClientIsDoneAndAllIsQuiet() async throws {
        let opener = Opener()
        let pool = LanePool(target: 1, log: { _ in }, open: opener.open)
        defer { pool.shutDown() }
        pool.refill()
        #expect(try await eventually { pool.readyCount == 1 })
        let lane = try #require(pool.take())
        #expect(pool.readyCount == 0 && pool.takenCount == 1)
        // While a client holds its lane, nothing opens, however long it runs.
        let quiet = LanePool.quietBeforeOpening
        pool.tend(relaying: false, at: .now + .seconds(60))
        #expect(opener.count == 1)
        // The client is done (its transport ends); the next lane waits for a quiet moment.
        lane.closeDescriptors()
        kill(lane.pid, SIGKILL)
        #expect(try await eventually { pool.takenCount == 0 })
        let ended = ContinuousClock.now
        pool.tend(relaying: true, at: ended + quiet)
        #expect(opener.count == 1, "not while a client is relayed")
        pool.tend(relaying: false, at: ended + quiet + quiet / 2)
        #expect(opener.count == 1, "not until the relayed client is a quiet moment past")
        pool.tend(relaying: false, at: ended + quiet * 2 + .milliseconds(1))
        #expect(try await eventually { pool.readyCount == 1 })
        #expect(opener.count == 2)
    }

    @Test func aNodeThatRefusesLanesIsLeftAloneAfterThreeTries() async throws {
        let opener = Opener()
        opener.failing = true
        let pool = LanePool(target: 1, log: { _ in }, open: opener.open)
        defer { pool.shutDown() }
        for _ in 0..<6 {
            pool.refill()
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(opener.count == LanePool.maximumFailures)
        #expect(pool.take() == nil)
    }

    @Test func shuttingDownEndsTheReadyLanes() async throws {
        let opener = Opener()
        let pool = LanePool(target: 1, log: { _ in }, open: opener.open)
        pool.refill()
        #expect(try await eventually { pool.readyCount == 1 })
        let pid = try #require(pool.take()).pid
        pool.refill()
        #expect(try await eventually { pool.readyCount == 1 })
        pool.shutDown()
        #expect(pool.readyCount == 0)
        // The taken lane is its client's to end; the ready one was ended here.
        #expect(kill(pid, 0) == 0)
        kill(pid, SIGKILL)
    }
}
