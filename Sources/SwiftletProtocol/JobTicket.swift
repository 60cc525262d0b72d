import NIOCore

/// What makes an ``ExecRequest`` a step of a job: the node records it in its job store, and a
/// `run` step waits in the node's queue until its GPUs and CPUs are free.
///
/// ```
/// +--------+---------+--------+------+---------+----------+------+-------------+-------------+---------+-----------+
/// | id u32 | cluster | name   | rank | step u8 | final u8 | gpus | accelerator | cpus        | task id | gpu share |
/// |        | string  | string | u32  |         |          | u32  | string      | (milli) u32 | string  | (milli)   |
/// +--------+---------+--------+------+---------+----------+------+-------------+-------------+---------+-----------+
/// ```
/// `final` is 1 when the step is the job's last: a run, or the setup of a task without one (its
/// success then ends the job SUCCEEDED, instead of leaving it SETTING_UP for a run to come).
/// `accelerator` is the GPU model the task asks for as SkyPilot names it (`A100-80GB`, `H100`;
/// several, comma-separated, when any of them will do), empty for any; `gpus` how many whole
/// GPUs, and `gpu share` the thousandths of each it takes (1000; 500 for `A100:0.5`, which
/// shares one GPU with another such job).
/// The task id (`SKYPILOT_TASK_ID`) tells this job's record from one a torn-down cluster of the
/// same name left with the same job id.
public struct JobTicket: Hashable, Sendable {
    public enum Step: UInt8, Sendable {
        case setup = 0
        case run = 1
    }

    public var id: UInt32
    public var cluster: String
    public var name: String
    public var rank: UInt32
    public var step: Step
    /// The step is the job's last (see the diagram).
    public var isFinal: Bool
    /// GPUs the job needs on this node.
    public var gpus: UInt32
    /// Which GPU models will do, as SkyPilot names them, comma-separated; empty for any.
    public var accelerator: String
    /// CPUs the job needs on this node, in thousandths (`--cpus 0.5` is 500).
    public var milliCPUs: UInt32
    public var taskID: String
    /// Thousandths of each GPU the job takes: 1000, or its share of one.
    public var gpuShare: UInt32

    public init(
        id: UInt32,
        cluster: String,
        name: String,
        rank: UInt32,
        step: Step,
        isFinal: Bool? = nil,
        gpus: UInt32 = 0,
        accelerator: String = "",
        milliCPUs: UInt32 = 0,
        taskID: String = "",
        gpuShare: UInt32 = 1000
    ) {
        self.id = id
        self.cluster = cluster
        self.name = name
        self.rank = rank
        self.step = step
        self.isFinal = isFinal ?? (step == .run)
        self.gpus = gpus
        self.accelerator = accelerator
        self.milliCPUs = milliCPUs
        self.taskID = taskID
        self.gpuShare = gpuShare
    }
}

extension JobTicket {
    /// The job and step this ticket is for.
    public var reference: JobReference { JobReference(cluster: cluster, id: id, step: step) }

    init(reading reader: inout WireReader) throws {
        id = try reader.integer()
        cluster = try reader.string()
        name = try reader.string()
        rank = try reader.integer()
        let rawStep: UInt8 = try reader.integer()
        guard let step = Step(rawValue: rawStep) else {
            throw ProtocolError(.malformedFrame, "exec: unknown job step \(rawStep)")
        }
        self.step = step
        isFinal = try reader.integer(UInt8.self) != 0
        gpus = try reader.integer()
        accelerator = try reader.string()
        milliCPUs = try reader.integer()
        taskID = try reader.string()
        gpuShare = try reader.integer()
        guard (1...1000).contains(gpuShare) else { throw ProtocolError(.malformedFrame, "exec: GPU share \(gpuShare) is not 1 to 1000") }
    }

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(id)
        buffer.writeWireString(cluster)
        buffer.writeWireString(name)
        buffer.writeInteger(rank)
        buffer.writeInteger(step.rawValue)
        buffer.writeInteger(UInt8(isFinal ? 1 : 0))
        buffer.writeInteger(gpus)
        buffer.writeWireString(accelerator)
        buffer.writeInteger(milliCPUs)
        buffer.writeWireString(taskID)
        buffer.writeInteger(gpuShare)
    }
}
