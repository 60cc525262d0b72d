import Testing

@testable import SwiftletProtocol

/// When a cluster's autostop fires, from its job records alone: no job unfinished, and the
/// last one submitted or ended (or the setting) at least its minutes ago; a job that comes after
/// it fired arms it again.
@Suite struct AutostopPolicyTests {
    func record(_ id: UInt32, _ state: JobState, submitted: Int, ended: Int = 0) -> JobRecord {
        var record = JobRecord(
            ticket: JobTicket(id: id, cluster: "c", name: "", rank: 0, step: .run, taskID: "t\(id)"),
            submitted: submitted,
            logPath: ".swiftlet/jobs/c/\(id)/run.log"
        )
        record.state = state
        record.ended = ended
        return record
    }

    @Test func itFiresOnceIdleForItsMinutes() {
        let setting = Autostop(cluster: "c", minutes: 10, down: true, setAt: 1_000)
        #expect(!setting.isDue(records: [], now: 1_000 + 599))
        #expect(setting.isDue(records: [], now: 1_000 + 600))
        let done = record(1, .succeeded, submitted: 1_100, ended: 1_500)
        #expect(!setting.isDue(records: [done], now: 1_500 + 599), "idle time counts from the last job's end")
        #expect(setting.isDue(records: [done], now: 1_500 + 600))
        let waiting = record(2, .pending, submitted: 1_200)
        #expect(!setting.isDue(records: [done, waiting], now: 99_999), "a waiting job is no idleness")
        #expect(!Autostop(cluster: "c", minutes: -1, down: false, setAt: 1_000).isDue(records: [], now: 99_999), "cancelled")
    }

    @Test func aFiredOneFiresOnceAndIsArmedAgainByTheNextJob() {
        var setting = Autostop(cluster: "c", minutes: 0, down: false, setAt: 1_000)
        setting.firedAt = 1_010
        setting.firedAfterJob = 1
        #expect(!setting.isDue(records: [], now: 5_000))
        // Job 1 ended in the second it fired; job 2 came in that same second, after it.
        let first = record(1, .succeeded, submitted: 1_010, ended: 1_010)
        #expect(setting.rearmed(records: [first], now: 2_000) == nil)
        let again = setting.rearmed(records: [first, record(2, .running, submitted: 1_010)], now: 2_000)
        #expect(again == Autostop(cluster: "c", minutes: 0, down: false, setAt: 2_000))
        #expect(Autostop(text: setting.text) == setting)
    }
}
