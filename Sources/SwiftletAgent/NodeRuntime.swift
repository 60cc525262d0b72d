import SwiftletGPU
import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// What the agent process that owns the node's jobs (the daemon, or a lone `serve --stdio`
/// where no daemon can start) holds while it runs: the job store, the queue of jobs waiting for
/// GPUs or CPUs, and how busy it is (the daemon retires when idle).
actor NodeRuntime {
    static let shared = NodeRuntime()

    nonisolated let store = JobStore()
    /// The time its waits and grace periods are measured on.
    nonisolated let clock: LoopClock
    nonisolated let startedAt = UTCTime.now
    var mode = "connection"
    var underSystemd = false
    private var queue: ResourceQueue
    private var waiters: [String: CheckedContinuation<ResourceQueue.Allocation?, Never>] = [:]
    /// Admissions that came before their job began to wait.
    private var admitted: [String: ResourceQueue.Allocation] = [:]
    private var withdrawn: Set<String> = []
    /// Gang ranks that yielded their admission to an older gang and wait for it again.
    private var yielded: Set<String> = []
    /// How each held gang rank's controller hears that it yielded, or was admitted again.
    private var gangNotices: [String: @Sendable (GangNotice) -> Void] = [:]
    private(set) var connections = 0
    private(set) var connectionsServed = 0
    private(set) var liveJobs = 0
    /// Jobs with a step this daemon runs (by key, with how many): their ends are recorded here,
    /// however long that takes under load, so this daemon never declares them FAILED_DRIVER.
    private var ownSteps: [String: Int] = [:]
    private(set) var lastActivity = ContinuousClock.now

    /// The GPUs this runtime hands out, found once when it starts (``GPUDiscovery``).
    nonisolated let gpus: GPUInventory

    init(clock: LoopClock = .continuous, gpus: GPUInventory = GPUDiscovery(environment: Environment.all()).inventory()) {
        self.clock = clock
        self.gpus = gpus
        queue = ResourceQueue(devices: gpus.devices, milliCPUCapacity: Self.milliCPUCapacity())
    }

    /// The node's CPUs in thousandths (`SWIFTLET_NODE_CPUS` overrides).
    static func milliCPUCapacity() -> Int {
        if let override = SwiftletConfiguration.process.nodeCPUs { return Int(override * 1000) }
        return max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1) * 1000
    }

    /// The node's memory in MiB, from `/proc/meminfo`'s `MemTotal`.
    static func memoryMiB() -> Int? {
        let line = FileSystem.contents(of: "/proc/meminfo").split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
        guard let kibibytes = line?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kibibytes / 1024
    }

    func configure(mode: String, underSystemd: Bool) {
        self.mode = mode
        self.underSystemd = underSystemd
    }

    // MARK: Activity

    func connectionOpened() {
        connections += 1
        connectionsServed += 1
        touch()
    }
    func connectionClosed() { connections -= 1; touch() }
    func jobBegan(_ key: String? = nil) {
        liveJobs += 1
        autostopFired = false
        if let key { ownSteps[key, default: 0] += 1 }
        touch()
    }

    func jobEnded(_ key: String? = nil) {
        liveJobs -= 1
        if let key, let count = ownSteps[key] { ownSteps[key] = count > 1 ? count - 1 : nil }
        touch()
    }

    /// Whether a step of job `key` runs in this daemon.
    func runsStep(of key: String) -> Bool { ownSteps[key] != nil }
    private func touch() {
        lastActivity = .now
    }

    /// Whether nothing has happened for `period`: no connection, no job.
    /// How long the node has had no connection and no job; nil while it has either.
    func idleDuration() -> Duration? {
        guard connections == 0 && liveJobs == 0 && !autostopPending else { return nil }
        // An autostop stopped a cluster here: the agent stops too, once nothing else needs it.
        return autostopFired ? .seconds(1_000_000) : lastActivity.duration(to: .now)
    }

    /// Set when an autostop fired; cleared by the next job (which arms the autostop again). Not
    /// by a connection: the one that ran the last job may close after the autostop fired.
    private var autostopFired = false

    func autostopDidFire() { autostopFired = true }

    /// Whether a cluster's autostop waits to fire here: the runtime stays up to fire it.
    private(set) var autostopPending = false

    func autostopChanged(pending: Bool) {
        autostopPending = pending
    }

    func isIdle(for period: Duration) -> Bool {
        connections == 0 && liveJobs == 0 && !autostopPending && lastActivity.duration(to: .now) >= period
    }

    // MARK: The queue

    func submit(_ key: String, _ demand: ResourceQueue.Demand) -> ResourceQueue.Admission {
        let admission = queue.submit(key, demand)
        rebalance()
        return admission
    }

    /// Waits until job `key`, which ``submit(_:_:)`` told to wait, may start; nil when it was
    /// withdrawn (cancelled) first.
    func waitForTurn(_ key: String) async -> ResourceQueue.Allocation? {
        if let allocation = admitted.removeValue(forKey: key) { return allocation }
        if withdrawn.remove(key) != nil { return nil }
        return await withCheckedContinuation { waiters[key] = $0 }
    }

    /// Job `key` ended (or will not run): its resources go to the jobs waiting behind it.
    func release(_ key: String) {
        yielded.remove(key)
        gangNotices[key] = nil
        hand(queue.release(key))
        rebalance()
    }

    private func hand(_ started: [(key: String, allocation: ResourceQueue.Allocation)]) {
        for (next, allocation) in started {
            if yielded.remove(next) != nil { gangNotices[next]?(.admitted) }
            if let waiter = waiters.removeValue(forKey: next) {
                waiter.resume(returning: allocation)
            } else {
                admitted[next] = allocation
            }
        }
    }

    /// Lets held ranks of younger gangs yield to an older gang's rank (see ``ResourceQueue``).
    private func rebalance() {
        let (gone, started) = queue.yieldToOlderGangs()
        for key in gone {
            yielded.insert(key)
            gangNotices[key]?(.yielded)
        }
        hand(started)
    }

    // MARK: Gangs

    enum GangNotice: Sendable {
        case admitted
        case yielded
    }

    enum GangStart: Sendable {
        /// Start with the resources it was admitted with.
        case asAdmitted
        /// It yielded meanwhile and was admitted again, with these.
        case admittedAgain(ResourceQueue.Allocation)
        /// It was cancelled while it waited again.
        case withdrawn
    }

    /// Gang rank `key` holds its admission until the gang's `go`; `notice` tells its controller
    /// when it yields and when it is admitted again.
    func holdForGang(_ key: String, notice: @escaping @Sendable (GangNotice) -> Void) {
        gangNotices[key] = notice
    }

    /// The gang's `go` came for `key`: if it yielded, it waits for its turn again first.
    func gangStarts(_ key: String) async -> GangStart {
        gangNotices[key] = nil
        let start: GangStart
        if withdrawn.remove(key) != nil {
            return .withdrawn
        } else if let allocation = admitted.removeValue(forKey: key) {
            start = .admittedAgain(allocation)
        } else if yielded.contains(key) {
            guard let allocation = await waitForTurn(key) else { return .withdrawn }
            start = .admittedAgain(allocation)
        } else {
            start = .asAdmitted
        }
        queue.started(key)
        return start
    }

    /// Takes a waiting job out of the queue (it was cancelled).
    func withdraw(_ key: String) {
        guard queue.waiting.contains(where: { $0.key == key }) else { return }
        yielded.remove(key)
        if let waiter = waiters.removeValue(forKey: key) {
            waiter.resume(returning: nil)
        } else {
            withdrawn.insert(key)
        }
        release(key)
    }

    /// A job found running when this runtime started (its daemon died or retired): it keeps
    /// its GPUs, found by UUID in this runtime's inventory (by place for a record without).
    func adopt(_ key: String, _ record: JobRecord) {
        let ids =
            record.gpuUUIDs.isEmpty
            ? record.gpuIDs.filter { gpus.devices.indices.contains($0) }
            : record.gpuUUIDs.compactMap { uuid in gpus.devices.firstIndex { $0.uuid == uuid } }
        queue.adopt(key, ResourceQueue.Allocation(gpuIDs: ids, milliCPUs: Int(record.milliCPUs), gpuShare: Int(record.gpuShare)))
    }

    func state(build: String) -> NodeState {
        var state = NodeState(
            mode: mode,
            pid: getpid(),
            build: build,
            since: startedAt,
            gpus: queue.gpuCount,
            freeGPUs: queue.freeGPUs.count,
            milliCPUs: queue.milliCPUCapacity,
            freeMilliCPUs: queue.freeMilliCPUs,
            running: queue.running.count,
            pending: queue.waiting.count,
            connections: connections,
            connectionsServed: connectionsServed,
            underSystemd: underSystemd
        )
        state.memoryMiB = Self.memoryMiB()
        let use = queue.gpuUse
        state.gpuList = gpus.devices.enumerated().map { position, device in
            NodeState.GPU(
                vendor: device.vendor.rawValue,
                index: device.index,
                uuid: device.uuid,
                model: device.model,
                memoryMiB: device.memoryMiB,
                usedMilli: use[position],
                name: device.name + (device.migProfile.map { " MIG \($0)" } ?? "")
            )
        }
        state.gpuSource = gpus.source.rawValue
        state.gpuDriver = gpus.driverVersion
        state.gpuGrantedBy = gpus.grantedBy
        return state
    }

    static func key(cluster: String, id: UInt32) -> String { "\(cluster)/\(id)" }
}
