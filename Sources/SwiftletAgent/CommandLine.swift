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
    private let home: String

    init(request: ExecRequest) {
        let home = Environment.home
        self.home = home
        let bash = access("/bin/bash", X_OK) == 0
        var script = request.command
        if request.sourceBashrc && bash {
            // Like SkyPilot, the user's ~/.bashrc (conda, modules, PATH) applies to the command.
            script = "if [ -f \"$HOME/.bashrc\" ]; then . \"$HOME/.bashrc\"; fi\n" + script
        }
        self.arguments = [bash ? "/bin/bash" : "/bin/sh", "-c", script]
        // The connection's SSH_* variables describe a session the job outlives; they would also
        // make bash read ~/.bashrc on its own, which is the request's choice to make.
        let inherited = Environment.all().filter { !$0.key.hasPrefix("SSH_") && $0.key != "SSH2_CLIENT" }
        self.environment = inherited.merging(request.environment) { _, requested in requested }
        self.workingDirectory = Self.expand(request.workingDirectory.isEmpty ? "~" : request.workingDirectory, home: home)
    }

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
