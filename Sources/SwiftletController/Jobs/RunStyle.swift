/// How `launch` and `exec` present the job they run.
public enum RunStyle: Sendable, Equatable {
    /// SkyPilot's way, for a task (a file, or a command given as one): the job's id comes
    /// first, its output (stdout and stderr) comes out on stdout, and the exit code is the job's
    /// state: 0 succeeded, 100 failed (its setup, its run, or a lost node), 101 not finished
    /// (contact was lost and the job may go on), 103 cancelled; the error line names the job's
    /// own codes.
    case task
    /// ssh's way, for `exec CLUSTER -- CMD`: nothing but the command's output, each stream on
    /// its own, and its own exit code (the first failing rank's; 255 for a lost node, 103 for a
    /// cancelled job).
    case command
}
