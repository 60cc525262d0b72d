import SwiftletPOSIX
import SwiftletProtocol

/// What a daemon does when it starts with jobs its store says have not ended.
///
/// A job whose owner (the agent process that runs its step) still lives stays that process's:
/// a daemon that retires for a newer build keeps its jobs, running or waiting, to their end.
/// This daemon counts what they hold while they run, and takes over only if the owner dies
/// first. Of the others, one whose process lives on is watched until it ends; a job that ran
/// under a supervisor then ends as its supervisor recorded, any other FAILED_DRIVER (its exit
/// status went with its daemon). One with no process (it was waiting, or died with its daemon)
/// is settled at once the same way.
enum JobRecovery {
    typealias Watch = @Sendable () async -> Void

    /// Settles what can be settled at once and returns the watches that follow the rest, for
    /// the daemon to run in its own task group (cancelled, a watch ends without a verdict).
    static func recover(_ runtime: NodeRuntime) async -> [Watch] {
        var watches: [Watch] = []
        for record in runtime.store.records(cluster: nil) where !record.state.isFinal {
            if let owner = record.liveOwner, owner != .current {
                watches.append(await leave(record, to: owner, runtime))
            } else if let watch = await takeOver(record, runtime) {
                watches.append(watch)
            }
        }
        return watches
    }

    /// A job whose owner is gone.
    private static func takeOver(_ record: JobRecord, _ runtime: NodeRuntime) async -> Watch? {
        let store = runtime.store
        let directory = JobStore.directory(cluster: record.cluster, id: record.id)
        let process = ProcessIdentity(pid: record.pid, startTime: record.pidStartTime)
        guard record.state != .pending, record.pid > 0, process.isRunning else {
            store.settleOrphan(directory: directory)
            return nil
        }
        let key = NodeRuntime.key(cluster: record.cluster, id: record.id)
        if record.state == .running {
            await runtime.adopt(key, record)
        }
        await runtime.jobBegan()
        return {
            let clock = runtime.clock
            while process.isRunning, !Task.isCancelled { await clock.pause(for: .seconds(1)) }
            // A record without an owner may still have one (an agent from before owners were
            // recorded): give it time to record the end.
            await clock.pause(for: LogFollower.driverGrace)
            guard !Task.isCancelled else { return }
            store.settleOrphan(directory: directory)
            await runtime.release(key)
            await runtime.jobEnded()
        }
    }

    /// A job another live agent process owns: left to it, its GPUs and CPUs counted here while
    /// it runs; taken over if the owner dies before the job ends.
    private static func leave(_ record: JobRecord, to owner: ProcessIdentity, _ runtime: NodeRuntime) async -> Watch {
        let store = runtime.store
        let directory = JobStore.directory(cluster: record.cluster, id: record.id)
        let key = NodeRuntime.key(cluster: record.cluster, id: record.id)
        await runtime.jobBegan()
        return {
            var adopted = false
            var current: JobRecord? = record
            while owner.isRunning, !Task.isCancelled, let live = current, !live.state.isFinal, live.taskID == record.taskID {
                if live.state == .running, !adopted {
                    adopted = true
                    await runtime.adopt(key, live)
                }
                await runtime.clock.pause(for: .seconds(1))
                current = store.load(directory: directory)
            }
            guard !Task.isCancelled else { return }
            if adopted { await runtime.release(key) }
            if let orphan = store.load(directory: directory), orphan.taskID == record.taskID, !orphan.state.isFinal,
                !owner.isRunning
            {
                await takeOver(orphan, runtime)?()
            }
            await runtime.jobEnded()
        }
    }
}

extension JobRecord {
    /// The agent process that owns the record, while it lives.
    var liveOwner: ProcessIdentity? {
        guard ownerPID > 0 else { return nil }
        let owner = ProcessIdentity(pid: ownerPID, startTime: ownerStartTime)
        return owner.isRunning ? owner : nil
    }
}
