/// One job's entry in a node's job store: what the node knows of its rank of the job. Stored
/// (and sent to the controller) as `key=value` lines, readable with `cat` on the node.
public struct JobRecord: Hashable, Sendable {
    public var id: UInt32
    public var cluster: String
    public var name: String
    public var rank: UInt32
    /// `SKYPILOT_TASK_ID`: which launch of job `id` this is.
    public var taskID: String
    public var state: JobState
    /// Seconds since the epoch; 0 while not yet reached.
    public var submitted: Int
    public var started: Int = 0
    public var ended: Int = 0
    public var gpus: UInt32 = 0
    /// The GPU choices the task asked for (`A100:1`), as the ticket carried them; empty for none.
    public var accelerator = ""
    public var milliCPUs: UInt32 = 0
    /// The GPUs given to the job, by their place in the node's inventory.
    public var gpuIDs: [Int] = []
    /// The same GPUs by UUID (`GPU-…`, `MIG-…`): what its `CUDA_VISIBLE_DEVICES` lists, and
    /// what a restarted daemon finds them by, whatever order its inventory comes in.
    public var gpuUUIDs: [String] = []
    /// Thousandths of each of its GPUs it holds: 1000, or its share (`A100:0.5`).
    public var gpuShare: UInt32 = 1000
    /// The process of the current step, with its start time against pid reuse.
    public var pid: Int32 = 0
    public var pidStartTime: UInt64 = 0
    /// The agent process that runs the job's step and records its end (a daemon that retires
    /// keeps its jobs to the end), with its start time; 0 when not known.
    public var ownerPID: Int32 = 0
    public var ownerStartTime: UInt64 = 0
    /// How the run (or a failed setup) ended; nil while it has not.
    public var exit: ExitStatus?
    /// How the setup ended, once it has (a failed setup's status is also ``exit``).
    public var setupExit: ExitStatus?
    /// The run's log, relative to the node's home.
    public var logPath: String
    /// Where a step's log on the node stops because the disk filled (its offset in bytes); the
    /// rest of that step's output reached only a controller that was attached.
    public var logCut: LogCut?

    public struct LogCut: Hashable, Sendable {
        public var step: JobTicket.Step
        public var offset: UInt64

        public init(step: JobTicket.Step, offset: UInt64) {
            self.step = step
            self.offset = offset
        }
    }

    public init(ticket: JobTicket, submitted: Int, logPath: String) {
        self.id = ticket.id
        self.cluster = ticket.cluster
        self.name = ticket.name
        self.rank = ticket.rank
        self.taskID = ticket.taskID
        self.state = .initializing
        self.submitted = submitted
        self.gpus = ticket.gpus
        self.accelerator = ticket.accelerator
        self.gpuShare = ticket.gpuShare
        self.milliCPUs = ticket.milliCPUs
        self.logPath = logPath
    }

    /// The record with `state`, when the move is allowed (see ``JobState/allows(_:)``).
    public func moved(to next: JobState, at time: Int) -> JobRecord? {
        guard state.allows(next) else { return nil }
        var record = self
        record.state = next
        if next == .running || next == .settingUp, record.started == 0 { record.started = time }
        if next.isFinal { record.ended = time }
        return record
    }

    public var text: String {
        var lines = [
            "id=\(id)", "cluster=\(cluster)", "name=\(name)", "rank=\(rank)", "task_id=\(taskID)", "state=\(state.rawValue)",
            "submitted=\(submitted)", "started=\(started)", "ended=\(ended)",
            "gpus=\(gpus)", "milli_cpus=\(milliCPUs)", "gpu_ids=\(gpuIDs.map(String.init).joined(separator: ","))",
            "gpu_uuids=\(gpuUUIDs.joined(separator: ","))", "gpu_share=\(gpuShare)", "pid=\(pid)", "pid_start_time=\(pidStartTime)",
        ]
        if !accelerator.isEmpty { lines.append("accelerator=\(accelerator.map { $0 == "\n" ? " " : $0 })") }
        if ownerPID > 0 { lines.append("owner=\(ownerPID) \(ownerStartTime)") }
        if let exit { lines.append("exit=\(exit.code) \(exit.signal)") }
        if let setupExit { lines.append("setup_exit=\(setupExit.code) \(setupExit.signal)") }
        if let cut = logCut { lines.append("log_cut=\(cut.step == .setup ? "setup" : "run") \(cut.offset)") }
        lines.append("log=\(logPath)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads ``text``; nil when a required field is missing or malformed (a torn or foreign file).
    public init?(text: String) {
        guard let fields = KeyValueText.fields(text) else { return nil }
        guard let id = fields["id"].flatMap({ UInt32($0) }),
            let cluster = fields["cluster"], let name = fields["name"],
            let rank = fields["rank"].flatMap({ UInt32($0) }),
            let state = fields["state"].flatMap({ JobState(rawValue: String($0)) }),
            let submitted = fields["submitted"].flatMap({ Int($0) }),
            let logPath = fields["log"]
        else { return nil }
        self.id = id
        self.cluster = String(cluster)
        self.name = String(name)
        self.rank = rank
        self.taskID = fields["task_id"].map(String.init) ?? ""
        self.state = state
        self.submitted = submitted
        self.logPath = String(logPath)
        started = fields["started"].flatMap { Int($0) } ?? 0
        ended = fields["ended"].flatMap { Int($0) } ?? 0
        gpus = fields["gpus"].flatMap { UInt32($0) } ?? 0
        accelerator = fields["accelerator"].map(String.init) ?? ""
        milliCPUs = fields["milli_cpus"].flatMap { UInt32($0) } ?? 0
        gpuIDs = fields["gpu_ids"].map { $0.split(separator: ",").compactMap { Int($0) } } ?? []
        gpuUUIDs = fields["gpu_uuids"].map { $0.split(separator: ",").map(String.init) } ?? []
        gpuShare = fields["gpu_share"].flatMap { UInt32($0) } ?? 1000
        pid = fields["pid"].flatMap { Int32($0) } ?? 0
        pidStartTime = fields["pid_start_time"].flatMap { UInt64($0) } ?? 0
        exit = fields["exit"].flatMap(Self.exitStatus)
        setupExit = fields["setup_exit"].flatMap(Self.exitStatus)
        if let cut = fields["log_cut"]?.split(separator: " "), cut.count == 2, let offset = UInt64(cut[1]) {
            logCut = LogCut(step: cut[0] == "setup" ? .setup : .run, offset: offset)
        }
        if let owner = fields["owner"]?.split(separator: " "), owner.count == 2, let pid = Int32(owner[0]), let start = UInt64(owner[1]) {
            ownerPID = pid
            ownerStartTime = start
        }
    }

    /// `CODE SIGNAL`, as ``text`` writes an exit status.
    private static func exitStatus(_ field: Substring) -> ExitStatus? {
        let parts = field.split(separator: " ")
        guard parts.count == 2, let code = Int32(parts[0]), let signal = UInt32(parts[1]) else { return nil }
        return ExitStatus(code: code, signal: signal)
    }
}
