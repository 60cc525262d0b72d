import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// Stops a process's whole tree, the one way every caller does it (a step whose controller
/// left, a cancelled job): SIGTERM to its process group, then, once the leader has gone or the
/// grace has passed, SIGKILL to what is left of the group.
struct ProcessTerminator: Sendable {
    /// How long the group gets between SIGTERM and SIGKILL.
    var grace: Duration = .seconds(3)

    /// Returns once the leader is gone (or, if it never goes, a few seconds after SIGKILL).
    func terminate(_ process: ProcessIdentity) async {
        ProcessSpawner.signalGroup(process.pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        // Children that ignore SIGTERM, or outlive their leader, go now.
        kill(-process.pid, SIGKILL)
        let gone = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < gone {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
