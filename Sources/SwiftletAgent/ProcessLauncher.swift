import SwiftletPOSIX

/// Starts a step's process in a new session (its own process group, so signals and the
/// terminator reach its whole tree). The session wires what comes back to its stream: pipes
/// now; a PTY (one descriptor both ways) and a container exec are further launchers.
protocol ProcessLauncher: Sendable {
    func launch(_ command: CommandLine, environment: [String: String]) throws -> ProcessSpawner.Pipes
}

/// `bash -c` (or `/bin/sh -c`) with stdin, stdout and stderr on three pipes.
struct PipeLauncher: ProcessLauncher {
    func launch(_ command: CommandLine, environment: [String: String]) throws -> ProcessSpawner.Pipes {
        try command.prepareWorkingDirectory()
        return try ProcessSpawner.spawn(command.arguments, environment: environment, workingDirectory: command.workingDirectory)
    }
}

/// A job's step that must outlive the daemon (a crash, an OOM kill): started under
/// ``JobSupervisor`` (this agent binary's `supervise-job`), which keeps its pipes, logs its
/// output and leaves its exit status beside the log. The pipes returned are the supervisor's,
/// which passes the step's output on while the daemon reads it.
struct SupervisedLauncher: ProcessLauncher {
    /// This agent binary.
    let supervisor: String
    /// The step's log and exit file, absolute.
    let logPath: String
    let exitPath: String

    func launch(_ command: CommandLine, environment: [String: String]) throws -> ProcessSpawner.Pipes {
        try command.prepareWorkingDirectory()
        let arguments = [supervisor, "supervise-job", "--log", logPath, "--exit-file", exitPath, "--"] + command.arguments
        return try ProcessSpawner.spawn(arguments, environment: environment, workingDirectory: command.workingDirectory)
    }
}
