import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Stops a process's whole tree, the one way every caller does it (a step whose controller
/// left, a cancelled job): SIGTERM to its process group, then, once the leader has gone or the
/// grace has passed, SIGKILL to what is left of the group. A job's processes that left its
/// group (`setsid`, a daemonizing tool) are found by the `SKYPILOT_TASK_ID` they inherited and
/// get the same signals.
struct ProcessTerminator: Sendable {
    /// How long the group gets between SIGTERM and SIGKILL.
    var grace: Duration = .seconds(3)
    /// The time the grace is measured on.
    var clock: LoopClock = .continuous

    /// Returns once the leader is gone (or, if it never goes, a few seconds after SIGKILL).
    /// `taskID` is the job's `SKYPILOT_TASK_ID`, when the process is a job's.
    func terminate(_ process: ProcessIdentity, taskID: String? = nil) async {
        let marker = taskID.flatMap { $0.isEmpty ? nil : "SKYPILOT_TASK_ID=\($0)" }
        func signalEscaped(_ signal: Int32) {
            guard let marker else { return }
            for pid in ProcessTable.pids(withEnvironmentEntry: marker) { kill(pid, signal) }
        }
        ProcessSpawner.signalGroup(process.pid, SIGTERM)
        signalEscaped(SIGTERM)
        let deadline = clock.deadline(after: grace)
        while process.isRunning, !clock.hasPassed(deadline) {
            await clock.pause(for: .milliseconds(50))
        }
        // Children that ignore SIGTERM, or outlive their leader, go now.
        kill(-process.pid, SIGKILL)
        signalEscaped(SIGKILL)
        let gone = clock.deadline(after: .seconds(5))
        while process.isRunning, !clock.hasPassed(gone) {
            await clock.pause(for: .milliseconds(20))
        }
    }
}
