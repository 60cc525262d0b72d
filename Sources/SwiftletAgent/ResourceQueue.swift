/// The node's job queue as a pure state machine: which jobs hold which GPUs and CPUs, which
/// wait, and who starts when something is released. First in, first out: a job never starts
/// ahead of one that has waited longer, so a big job is not starved by small ones.
///
/// GPUs are counted only on a node that has some: where none were found the GPU demand of a
/// job is not enforced (a laptop running an `A100:8` task for a try), and the job gets none.
struct ResourceQueue {
    struct Demand: Hashable, Sendable {
        var gpus: Int
        var milliCPUs: Int
    }

    struct Allocation: Hashable, Sendable {
        var gpuIDs: [Int]
        var milliCPUs: Int
    }

    enum Admission: Equatable {
        /// Start now with these GPUs.
        case start(Allocation)
        /// Wait; the text says for what.
        case wait(String)
        /// The node could never hold it.
        case impossible(String)
    }

    let gpuCount: Int
    let milliCPUCapacity: Int
    private(set) var running: [String: Allocation] = [:]
    private(set) var waiting: [(key: String, demand: Demand)] = []

    init(gpuCount: Int, milliCPUCapacity: Int) {
        self.gpuCount = gpuCount
        self.milliCPUCapacity = milliCPUCapacity
    }

    var freeGPUs: [Int] {
        let taken = Set(running.values.flatMap(\.gpuIDs))
        return (0..<gpuCount).filter { !taken.contains($0) }
    }

    var freeMilliCPUs: Int {
        milliCPUCapacity - running.values.reduce(0) { $0 + $1.milliCPUs }
    }

    mutating func submit(_ key: String, _ demand: Demand) -> Admission {
        if gpuCount > 0 && demand.gpus > gpuCount {
            return .impossible("the job needs \(demand.gpus) GPUs; this node has \(gpuCount)")
        }
        if demand.milliCPUs > milliCPUCapacity {
            return .impossible("the job needs \(Self.cpus(demand.milliCPUs)) CPUs; this node has \(Self.cpus(milliCPUCapacity))")
        }
        if waiting.isEmpty, let allocation = allocate(demand) {
            running[key] = allocation
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
        waiting.removeAll { $0.key == key }
        var started: [(String, Allocation)] = []
        while let head = waiting.first, let allocation = allocate(head.demand) {
            waiting.removeFirst()
            running[head.key] = allocation
            started.append((head.key, allocation))
        }
        return started
    }

    private func allocate(_ demand: Demand) -> Allocation? {
        guard demand.milliCPUs <= freeMilliCPUs else { return nil }
        guard gpuCount > 0 else { return Allocation(gpuIDs: [], milliCPUs: demand.milliCPUs) }
        let free = freeGPUs
        guard demand.gpus <= free.count else { return nil }
        return Allocation(gpuIDs: Array(free.prefix(demand.gpus)), milliCPUs: demand.milliCPUs)
    }

    private func waitReason(for demand: Demand) -> String {
        var wants: [String] = []
        if gpuCount > 0 && demand.gpus > 0 { wants.append("\(demand.gpus) GPU\(demand.gpus == 1 ? "" : "s") (\(freeGPUs.count) free)") }
        if demand.milliCPUs > 0 { wants.append("\(Self.cpus(demand.milliCPUs)) CPUs (\(Self.cpus(freeMilliCPUs)) free)") }
        let ahead = waiting.count - 1
        let queue = ahead > 0 ? "; \(ahead) job\(ahead == 1 ? "" : "s") ahead" : ""
        return "waiting for " + (wants.isEmpty ? "the jobs ahead of it" : wants.joined(separator: " and ")) + queue
    }

    static func cpus(_ milli: Int) -> String {
        milli % 1000 == 0 ? String(milli / 1000) : String(Double(milli) / 1000)
    }
}
