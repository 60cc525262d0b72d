import Dispatch
import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The `swiftlet-agent` command line: a synchronous entry point (an async `@main` costs about
/// 25 ms per start in a static binary) that bridges to async only where it serves.
public enum AgentMain {
    static let usage = """
        usage: swiftlet-agent serve --stdio [--lane]
                                              relay one controller connection on stdin/stdout to the
                                              daemon (starting it if needed; a spare lane never
                                              replaces a daemon of another build, nor serves alone)
               swiftlet-agent daemon [--idle-exit SECONDS|never]
                                              the node runtime that owns jobs (default: exits after
                                              600 s with no job and no connection; never under systemd)
               swiftlet-agent version         print the version, protocol versions and build id
               swiftlet-agent self-test       check what the agent needs on this machine
               swiftlet-agent sftp-server     an SFTP server on stdin and stdout (ssh's sftp subsystem)
               swiftlet-agent terminal TICKET become the shell the daemon prepared (run by 'ssh -tt'
                                              for 'swiftlet shell')
               swiftlet-agent gpus [--json] [--root DIR]
                                              the GPUs jobs can be given here (DIR: read /dev, /proc
                                              and /sys under it)
        """

    /// Runs the command in `arguments` (without the program name); returns the exit code.
    public static func run(_ arguments: [String]) -> Int32 {
        // First, with nothing else set up: it starts before every job's step, so every
        // millisecond of its start is one of the job's round trip (it reads no configuration).
        if arguments.first == "supervise-job" {
            signal(SIGPIPE, SIG_IGN)
            umask(0o077)
            return JobSupervisor.run(arguments.dropFirst())
        }
        // Before anything this process sets up that a shell would inherit (an ignored SIGPIPE,
        // umask 077): it becomes the user's shell.
        if arguments.first == "terminal" {
            return PreparedTerminals.start(arguments.dropFirst())
        }
        NSSLookupPinning.apply()
        HeapTuning.apply()
        signal(SIGPIPE, SIG_IGN)
        guard access("/proc/self", F_OK) == 0 else {
            writeError("swiftlet-agent: /proc is not mounted; the agent needs /proc to run")
            return 70
        }
        do {
            _ = try SwiftletConfiguration.current()
        } catch {
            writeError("swiftlet-agent: \(error)")
            return 78  // EX_CONFIG
        }
        // Whatever this process creates is this user's alone (job logs, records, sockets).
        umask(0o077)
        if arguments.first == "serve" || arguments.first == "daemon",
            let problem = InstallCheck.problem(binary: (try? SelfExecutable.path()) ?? "", home: Environment.home)
        {
            writeError("swiftlet-agent: refusing to run: \(problem)")
            return 77  // EX_NOPERM
        }
        switch arguments.first {
        case "version":
            return printVersion()
        case "self-test":
            return SelfTest.run()
        case "gpus":
            return GPUCommand.run(arguments.dropFirst())
        case "sftp-server":
            return SFTPServer.run()
        case "serve" where arguments.dropFirst().first == "--stdio":
            let lane = arguments.dropFirst(2).first == "--lane"
            if !SwiftletConfiguration.process.agentWithoutDaemon {
                switch DaemonRelay.run(replacesOtherBuilds: !lane) {
                case .relayed(let code):
                    return code
                case .lost(let reason):
                    writeError("swiftlet-agent: \(reason)")
                    return 1
                case .unavailable(let reason) where lane:
                    writeError("swiftlet-agent: no daemon for a spare lane (\(reason))")
                    return 1
                case .unavailable(let reason):
                    writeError("swiftlet-agent: no daemon (\(reason)); jobs on this connection end with it")
                }
            }
            ChildReaper.shared.reapsEveryChild = true
            return runBlocking { await AgentServer.serveStandardIO() }
        case "daemon":
            guard let options = daemonOptions(arguments.dropFirst()) else {
                writeError(usage)
                return 64
            }
            ChildReaper.shared.reapsEveryChild = true
            return runBlocking { await Daemon.run(options) }
        case "--help", "-h", "help":
            writeOutput(usage + "\n")
            return 0
        default:
            writeError(usage)
            return 64
        }
    }

    private static func daemonOptions(_ arguments: ArraySlice<String>) -> Daemon.Options? {
        var options = Daemon.Options()
        if let seconds = SwiftletConfiguration.process.agentIdleExitSeconds { options.idle = .seconds(seconds) }
        var rest = arguments
        while let argument = rest.popFirst() {
            switch (argument, rest.popFirst()) {
            case ("--idle-exit", "never"): options.idle = nil
            case ("--idle-exit", let value?) where Int(value) != nil: options.idle = .seconds(Int(value)!)
            default: return nil
            }
        }
        return options
    }

    private static func printVersion() -> Int32 {
        do {
            let build = try AgentBuild.buildID()
            let versions = Hello.supportedVersions
            writeOutput(
                "swiftlet-agent \(AgentBuild.version) protocol \(versions.lowerBound)-\(versions.upperBound) "
                    + "build \(build) \(SelfExecutable.operatingSystem)/\(SelfExecutable.machine)\n"
            )
            return 0
        } catch {
            writeError("swiftlet-agent: \(error)")
            return 70
        }
    }

    private static func runBlocking(_ body: @escaping @Sendable () async -> Int32) -> Int32 {
        let done = DispatchSemaphore(value: 0)
        let result = Locked<Int32>(0)
        Task {
            let code = await body()
            result.withLock { $0 = code }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }
    }
}

/// Writes to stderr without buffering.
func writeError(_ message: String) {
    let line = message.hasSuffix("\n") ? message : message + "\n"
    writeAll(2, line)
}

func writeOutput(_ text: String) {
    writeAll(1, text)
}

func writeAll(_ fd: Int32, _ text: String) {
    _ = Array(text.utf8).withUnsafeBytes { FileDescriptorIO.writeAll(fd, $0) }
}
