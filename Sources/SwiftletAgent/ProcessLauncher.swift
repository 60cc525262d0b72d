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
