import SwiftletPOSIX
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Blocking work gets threads of its own: a dozen reads waiting on quiet pipes do not hold up the
/// next piece of work (on Dispatch's global queues it would wait about ten seconds).
@Suite struct BlockingThreadTests {
    @Test func blockedWorkDoesNotHoldUpTheNext() async throws {
        // When each piece of work began, measured on its own thread (the test's own task may wait
        // for the cooperative pool behind CPU-heavy tests; the work must not).
        let began = Locked<[ContinuousClock.Instant]>([])
        let asked = ContinuousClock.now
        var writers: [Int32] = []
        for _ in 0..<12 {
            var ends: [Int32] = [-1, -1]
            try #require(pipe(&ends) == 0)
            let readEnd = ends[0]
            writers.append(ends[1])
            BlockingThread.start {
                began.withLock { $0.append(.now) }
                var byte: UInt8 = 0
                _ = read(readEnd, &byte, 1)
                close(readEnd)
            }
        }
        while began.withLock({ $0.count }) < 12, ContinuousClock.now - asked < .seconds(30) {
            try await Task.sleep(for: .milliseconds(10))
        }
        let askedAgain = ContinuousClock.now
        let next = await BlockingThread.value { ContinuousClock.now }
        for writer in writers { close(writer) }
        let last = try #require(began.withLock { $0.max() })
        #expect(last - asked < .seconds(1), "twelve blocked reads took \(last - asked) to begin")
        #expect(next - askedAgain < .seconds(1), "the next work began \(next - askedAgain) after it was asked for")
    }

    @Test func errorsComeBackToTheCaller() async {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await BlockingThread.value { () throws -> Int in throw Refused() }
        }
    }
}
