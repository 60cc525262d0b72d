import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// How an ``ExecRequest`` becomes a process: the shell, its script, environment and directory.
struct CommandLine {
    let arguments: [String]
    let environment: [String: String]
    let workingDirectory: String
    /// The script file written for a long command that is no job's step: the session removes
    /// it once the process ended (a job's stays in its directory, beside its logs).
    let temporaryScript: String?
    private let home: String

    /// A script longer than this runs from a file: one argument of a new process may not exceed
    /// 128 KiB (Linux's MAX_ARG_STRLEN), and a `run:` section can.
    static let longestInlineScript = 64 * 1024

    /// `scriptFile` is where a script too long for an argument is written (a job's directory).
    init(request: ExecRequest, scriptFile: String? = nil) throws(SystemError) {
        let home = Environment.home
        self.home = home
        let bash = access("/bin/bash", X_OK) == 0
        var script = request.command
        if request.sourceBashrc && bash {
            // Like SkyPilot, the user's ~/.bashrc (conda, modules, PATH) applies to the command.
            script = "if [ -f \"$HOME/.bashrc\" ]; then . \"$HOME/.bashrc\"; fi\n" + script
        }
        let shell = bash ? "/bin/bash" : "/bin/sh"
        if script.utf8.count > Self.longestInlineScript {
            let file = scriptFile ?? home + "/.swiftlet/run/exec-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sh"
            try FileSystem.createDirectories(FileSystem.parent(of: file))
            try AtomicFile.write(Array(script.utf8), to: file)
            self.arguments = [shell, file]
            self.temporaryScript = scriptFile == nil ? file : nil
        } else {
            self.arguments = [shell, "-c", script]
            self.temporaryScript = nil
        }
        // The connection's SSH_* variables describe a session the job outlives; they would also
        // make bash read ~/.bashrc on its own, which is the request's choice to make.
        let inherited = Environment.all().filter { !$0.key.hasPrefix("SSH_") && $0.key != "SSH2_CLIENT" }
        var environment = inherited.merging(request.environment) { _, requested in requested }
        // This agent, for what runs it again (`swiftlet proxy`'s sftp subsystem).
        if let agent = Self.agentBinary { environment["SWIFTLET_AGENT"] = agent }
        self.environment = environment
        self.workingDirectory = Self.expand(request.workingDirectory.isEmpty ? "~" : request.workingDirectory, home: home)
    }

    /// This agent binary, read once: supervised steps start it again, and what runs it again
    /// (`swiftlet proxy`'s sftp subsystem) finds it as `$SWIFTLET_AGENT`.
    static let agentBinary = try? SelfExecutable.path()

    /// `~` and `~/x` relative to the node's home; everything else as given.
    func expand(_ path: String) -> String { Self.expand(path, home: home) }

    static func expand(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst(1) }
        if !path.hasPrefix("/") { return home + "/" + path }
        return path
    }

    /// Creates the working directory if it is missing (`~/sky_workdir` before any sync).
    func prepareWorkingDirectory() throws(SystemError) {
        do {
            try FileSystem.createDirectories(workingDirectory)
        } catch {
            throw SystemError(errno: error.errno, "working directory \(workingDirectory)")
        }
    }
}
