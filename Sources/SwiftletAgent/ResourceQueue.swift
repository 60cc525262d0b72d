import SwiftletGPU

/// The node's job queue as a pure state machine: which jobs hold which GPUs and CPUs, which
/// wait, and who starts when something is released. First in, first out: a job never starts
/// ahead of one that has waited longer, so a big job is not starved by small ones.
///
/// GPUs are the node's devices (``GPUDevice``, by position in its inventory): a job gets whole
/// GPUs of a model it accepts, or a share of one (`A100:0.5`: two such jobs share a GPU, as
/// SkyPilot's scheduler shares it); shares pack onto the fullest GPU they fit. A job asking for
/// more GPUs of its models than the node has, or for any on a node without GPUs, could never
/// run here and is refused.
///
/// A rank of a multi-node job (a gang) is admitted on each of its nodes and then holds what it
/// got, without running, until every node admitted its rank. Two gangs that each hold one node
/// the other waits for would wait forever, so gangs are ordered by age (their task id, which
/// starts with the submission time): a held rank of a younger gang yields what it holds to an
/// older gang's rank at the head of the queue, and waits again right behind it. The oldest gang
/// never yields, so it always gets all its nodes.
struct ResourceQueue {
    struct Demand: Hashable, Sendable {
        /// Whole GPUs (a share needs one).
        var gpus: Int
        var milliCPUs: Int
        /// A gang's age (smaller is older): set for a rank that holds its admission until the
        /// gang starts.
        var gang: String? = nil
        /// Thousandths of each GPU it takes: 1000, or its share of one.
        var gpuShare: Int = 1000
        /// The models it accepts (SkyPilot names); empty for any.
        var models: [String] = []

        var request: GPURequest {
            GPURequest(models: models, count: gpuShare < 1000 ? Double(gpuShare) / 1000 : Double(gpus))
        }
    }

    struct Allocation: Hashable, Sendable {
        var gpuIDs: [Int]
        var milliCPUs: Int
        /// Thousandths of each of its GPUs it holds.
        var gpuShare: Int = 1000
    }

    enum Admission: Equatable {
        /// Start now with these GPUs.
        case start(Allocation)
        /// Wait; the text says for what.
        case wait(String)
        /// The node could never hold it.
        case impossible(String)
    }

    let devices: [GPUDevice]
    let milliCPUCapacity: Int
    private(set) var running: [String: Allocation] = [:]
    private(set) var waiting: [(key: String, demand: Demand)] = []
    /// Gang ranks admitted but not started: their age; they may yield to an older gang.
    private(set) var holding: [String: String] = [:]

    init(devices: [GPUDevice], milliCPUCapacity: Int) {
        self.devices = devices
        self.milliCPUCapacity = milliCPUCapacity
    }

    /// `count` GPUs of unknown model.
    init(gpuCount: Int, milliCPUCapacity: Int) {
        self.init(devices: GPUInventory.configured(count: gpuCount).devices, milliCPUCapacity: milliCPUCapacity)
    }

    var gpuCount: Int { devices.count }

    /// Thousandths of each GPU that running jobs hold.
    var gpuUse: [Int] {
        var use = [Int](repeating: 0, count: devices.count)
        for allocation in running.values {
            for id in allocation.gpuIDs where use.indices.contains(id) { use[id] += allocation.gpuShare }
        }
        return use
    }

    /// GPUs nobody holds any share of.
    var freeGPUs: [Int] {
        gpuUse.enumerated().filter { $0.element == 0 }.map(\.offset)
    }

    var freeMilliCPUs: Int {
        milliCPUCapacity - running.values.reduce(0) { $0 + $1.milliCPUs }
    }

    mutating func submit(_ key: String, _ demand: Demand) -> Admission {
        if demand.gpus > 0, let unmet = demand.request.unmet(by: devices) {
            return .impossible(unmet)
        }
        if demand.milliCPUs > milliCPUCapacity {
            return .impossible("the job needs \(Self.cpus(demand.milliCPUs)) CPUs; this node has \(Self.cpus(milliCPUCapacity))")
        }
        // A job that holds nothing (a command after `--`, as over ssh) takes nothing from the
        // jobs waiting ahead of it: it never waits behind them.
        if waiting.isEmpty || (demand.gpus == 0 && demand.milliCPUs == 0), let allocation = allocate(demand) {
            running[key] = allocation
            holding[key] = demand.gang
            return .start(allocation)
        }
        waiting.append((key, demand))
        return .wait(waitReason(for: demand))
    }

    /// Records a job that already runs (found by a restarted daemon).
    mutating func adopt(_ key: String, _ allocation: Allocation) {
        running[key] = allocation
    }

    /// The job `key` ended or left the queue; returns the jobs that start now, in order.
    mutating func release(_ key: String) -> [(key: String, allocation: Allocation)] {
        running[key] = nil
        holding[key] = nil
        waiting.removeAll { $0.key == key }
        return admitWaiting()
    }

    /// The held gang rank `key` started running: it no longer yields.
    mutating func started(_ key: String) {
        holding[key] = nil
    }

    /// When the job at the head of the queue is a gang's rank that does not fit, held ranks of
    /// younger gangs yield to it (the youngest first, only as many as it takes, and only if that
    /// makes it fit). Returns the ranks that yielded (they wait again, right behind it) and the
    /// jobs that start now.
    mutating func yieldToOlderGangs() -> (yielded: [String], started: [(key: String, allocation: Allocation)]) {
        guard let head = waiting.first, let age = head.demand.gang, allocate(head.demand) == nil else { return ([], []) }
        var trial = self
        var yielded: [(key: String, demand: Demand)] = []
        for (key, younger) in holding.filter({ $0.value > age }).sorted(by: { $0.value > $1.value }) {
            guard let allocation = trial.running.removeValue(forKey: key) else { continue }
            trial.holding[key] = nil
            let demand = Demand(
                gpus: allocation.gpuIDs.count,
                milliCPUs: allocation.milliCPUs,
                gang: younger,
                gpuShare: allocation.gpuShare,
                models: allocation.gpuIDs.map { devices[$0].model }
            )
            yielded.append((key, demand))
            if trial.allocate(head.demand) != nil { break }
        }
        guard trial.allocate(head.demand) != nil else { return ([], []) }
        trial.waiting.insert(contentsOf: yielded.reversed(), at: 1)
        self = trial
        return (yielded.map(\.key), admitWaiting())
    }

    private mutating func admitWaiting() -> [(key: String, allocation: Allocation)] {
        var started: [(String, Allocation)] = []
        while let head = waiting.first, let allocation = allocate(head.demand) {
            waiting.removeFirst()
            running[head.key] = allocation
            holding[head.key] = head.demand.gang
            started.append((head.key, allocation))
        }
        return started
    }

    private func allocate(_ demand: Demand) -> Allocation? {
        guard demand.milliCPUs <= freeMilliCPUs else { return nil }
        guard demand.gpus > 0 else { return Allocation(gpuIDs: [], milliCPUs: demand.milliCPUs) }
        let request = demand.request
        let use = gpuUse
        let fitting = devices.indices.filter { request.accepts(devices[$0]) && use[$0] + demand.gpuShare <= 1000 }
        guard demand.gpus <= fitting.count else { return nil }
        // A share goes where most is already shared, keeping whole GPUs free for whole jobs.
        let chosen = demand.gpuShare < 1000 ? Array(fitting.sorted { use[$0] > use[$1] }.prefix(1)) : Array(fitting.prefix(demand.gpus))
        return Allocation(gpuIDs: chosen, milliCPUs: demand.milliCPUs, gpuShare: demand.gpuShare)
    }

    private func waitReason(for demand: Demand) -> String {
        var wants: [String] = []
        if demand.gpus > 0 && demand.gpuShare < 1000 {
            wants.append("\(Self.cpus(demand.gpuShare)) of a GPU (\(freeGPUs.count) free)")
        } else if demand.gpus > 0 {
            wants.append("\(demand.gpus) GPU\(demand.gpus == 1 ? "" : "s") (\(freeGPUs.count) free)")
        }
        if demand.milliCPUs > 0 { wants.append("\(Self.cpus(demand.milliCPUs)) CPUs (\(Self.cpus(freeMilliCPUs)) free)") }
        let ahead = waiting.count - 1
        let queue = ahead > 0 ? "; \(ahead) job\(ahead == 1 ? "" : "s") ahead" : ""
        return "waiting for " + (wants.isEmpty ? "the jobs ahead of it" : wants.joined(separator: " and ")) + queue
    }

    static func cpus(_ milli: Int) -> String {
        milli % 1000 == 0 ? String(milli / 1000) : String(Double(milli) / 1000)
    }
}
