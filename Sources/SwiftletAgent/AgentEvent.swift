import SwiftletPOSIX
import SwiftletProtocol

/// Something the node runtime did that an operator may look for later: a job step started or
/// ended. The daemon writes each as a line to its log (`~/.swiftlet/run/daemon.log`); the host
/// build also sends it to journald (``AgentEvent/sink``).
public struct AgentEvent: Sendable {
    public var message: String
    /// `CLUSTER`, `JOB_ID`, `RANK`, `STEP`, `STATE`, `PID`, `EXIT_CODE`: journald field names
    /// without their `SWIFTLET_` prefix.
    public var fields: [String: String]
    public var isFailure: Bool

    /// Where events go besides the daemon's log; set once at start-up by the host build.
    nonisolated(unsafe) public static var sink: (@Sendable (AgentEvent) -> Void)?
    /// Set by the daemon, whose stderr is its log. (An agent serving its own connection has the
    /// transport's stderr, which the controller reads for errors.)
    nonisolated(unsafe) static var logsToStandardError = false

    static func emit(_ event: AgentEvent) {
        if logsToStandardError { writeError("swiftlet-agent: \(UTCTime.iso8601(secondsSinceEpoch: UTCTime.now)) \(event.message)") }
        sink?(event)
    }

    /// A job step's event, with the job's fields.
    static func job(_ record: JobRecord, step: JobTicket.Step, _ what: String, isFailure: Bool = false) -> AgentEvent {
        var fields = [
            "CLUSTER": record.cluster, "JOB_ID": String(record.id), "RANK": String(record.rank),
            "STEP": step == .setup ? "setup" : "run", "STATE": record.state.rawValue, "TASK_ID": record.taskID,
        ]
        if record.pid > 0 { fields["PID"] = String(record.pid) }
        if let exit = record.exit { fields["EXIT_CODE"] = String(exit.code) }
        let name = record.name.isEmpty ? "" : " (\(record.name))"
        return AgentEvent(
            message: "job \(record.id)\(name) rank \(record.rank) of cluster \(record.cluster), \(fields["STEP"]!): \(what)",
            fields: fields,
            isFailure: isFailure
        )
    }
}
