/// A job's state, with SkyPilot's names.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case initializing = "INIT"
    case pending = "PENDING"
    case settingUp = "SETTING_UP"
    case running = "RUNNING"
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
    case failedSetup = "FAILED_SETUP"
    case failedDriver = "FAILED_DRIVER"
    case cancelled = "CANCELLED"

    /// Nothing more happens to a job in a final state.
    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .failedSetup, .failedDriver, .cancelled: true
        case .initializing, .pending, .settingUp, .running: false
        }
    }

    /// Whether a job may move from this state to `next`: a final state is never left, and
    /// nothing goes back to INIT. (Setup runs before the job waits for its GPUs, so PENDING may
    /// follow SETTING_UP.)
    public func allows(_ next: JobState) -> Bool {
        !isFinal && next != .initializing
    }
}
