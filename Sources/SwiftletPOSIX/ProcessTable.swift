#if canImport(Glibc)
    import Glibc
#endif

/// This user's processes, as `/proc` lists them.
public enum ProcessTable {
    /// The processes whose environment holds the entry `entry` (`NAME=VALUE`), but this one:
    /// every descendant of a job inherits its `SKYPILOT_TASK_ID`, also one that left the job's
    /// session (`setsid`) or whose parent died. Only this user's environments can be read.
    public static func pids(withEnvironmentEntry entry: String) -> [pid_t] {
        let wanted = Array(entry.utf8)
        let me = getpid()
        return FileSystem.entries(of: "/proc").compactMap { pid_t($0) }.filter { pid in
            guard pid != me, let environment = FileSystem.bytes(of: "/proc/\(pid)/environ") else { return false }
            return environment.split(separator: 0, omittingEmptySubsequences: true).contains { $0.elementsEqual(wanted) }
        }
    }
}
