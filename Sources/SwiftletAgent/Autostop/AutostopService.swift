import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The node's side of autostop: an ``StreamType/autostop`` stream sets a cluster's setting (or
/// asks for it), and ``watch(_:every:)`` fires the due ones. Firing stops the cluster on this
/// node (`down`: its job records and logs are removed, as `swiftlet down` removes them); the
/// controller learns it when it next asks (`swiftlet status`) and forgets the cluster.
enum AutostopService {
    static func serve(_ request: ByteBuffer, on stream: MuxStream) async {
        let text = String(buffer: request)
        let store = AutostopStore()
        var answer: Autostop?
        if let setting = Autostop(text: text) {
            guard JobStore.isValidCluster(setting.cluster) else {
                try? await stream.reset(.badRequest, "bad cluster name '\(setting.cluster)'")
                return
            }
            let fresh = Autostop(cluster: setting.cluster, minutes: setting.minutes, down: setting.down, setAt: UTCTime.now)
            do {
                try store.save(fresh)
            } catch {
                try? await stream.reset(.spawnFailed, "cannot record the autostop of '\(setting.cluster)': \(error)")
                return
            }
            await NodeRuntime.shared.autostopChanged(pending: store.all().contains(where: \.isPending))
            answer = fresh
        } else if text.hasPrefix("cluster="), case let cluster = String(text.dropFirst(8).prefix { $0 != "\n" }),
            JobStore.isValidCluster(cluster)
        {
            answer = store.load(cluster)
            // A job came after it fired: the cluster is in use again, and says so at once.
            if let again = answer?.rearmed(records: NodeRuntime.shared.store.records(cluster: cluster), now: UTCTime.now) {
                try? store.save(again)
                answer = again
            }
        } else {
            try? await stream.reset(.badRequest, "bad autostop request")
            return
        }
        try? await stream.send(.data, ByteBuffer(string: answer?.text ?? ""))
        try? await stream.send(.exit, payload: ExitStatus(code: 0).payload)
    }

    /// At the daemon's start, before it serves anyone: what is due fires, and an autostop that
    /// fired here already (a connection that came after brought this daemon up) is remembered,
    /// so that this daemon too leaves once nothing else needs it. A job clears that.
    static func prepare(_ runtime: NodeRuntime) async {
        let store = AutostopStore()
        await fireDue(store: store, runtime: runtime, now: UTCTime.now)
        if store.all().contains(where: { $0.firedAt != 0 }) { await runtime.autostopDidFire() }
        await runtime.autostopChanged(pending: store.all().contains(where: \.isPending))
    }

    /// Fires each due autostop, checking every `interval` after ``prepare(_:)``'s first look;
    /// keeps the runtime from idling out while one waits to fire.
    static func watch(_ runtime: NodeRuntime, every interval: Duration = .seconds(10)) async {
        let store = AutostopStore()
        while !Task.isCancelled {
            await runtime.clock.pause(for: interval)
            await fireDue(store: store, runtime: runtime, now: UTCTime.now)
            await runtime.autostopChanged(pending: store.all().contains(where: \.isPending))
        }
    }

    static func fireDue(store: AutostopStore, runtime: NodeRuntime, now: Int) async {
        for setting in store.all() {
            if let again = setting.rearmed(records: runtime.store.records(cluster: setting.cluster), now: now) { try? store.save(again) }
        }
        for var setting in store.all() {
            let records = runtime.store.records(cluster: setting.cluster)
            guard setting.isDue(records: records, now: now) else { continue }
            setting.firedAfterJob = records.map(\.id).max() ?? 0
            if setting.down {
                // As `swiftlet down` leaves the node: no job of the cluster is unfinished here.
                // Only the jobs seen idle go: one submitted meanwhile keeps its files (and arms
                // the autostop again).
                for record in records {
                    _ = FileSystem.removeTree(runtime.store.home + "/" + JobStore.directory(cluster: setting.cluster, id: record.id))
                }
                rmdir(runtime.store.home + "/.swiftlet/jobs/" + setting.cluster)  // unless a job came meanwhile
            }
            setting.firedAt = now
            try? store.save(setting)
            await runtime.autostopDidFire()
            let what = setting.down ? "torn down" : "stopped"
            AgentEvent.emit(
                AgentEvent(
                    message: "cluster \(setting.cluster) \(what) by autostop after \(setting.minutes) idle minutes",
                    fields: ["CLUSTER": setting.cluster],
                    isFailure: false
                )
            )
        }
    }
}
