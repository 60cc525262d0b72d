import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// `swiftlet-agent supervise-job --log LOG --exit-file FILE -- COMMAND...`: the small process
/// between a job's step and the daemon, so the daemon can die (a crash, an OOM kill) without
/// taking the job with it.
///
/// It owns the step's output pipes: every piece goes to the log first, then on to the daemon
/// through its own stdout and stderr while the daemon reads them (once it is gone, to the log
/// alone). Its stdin is the step's. It leads the step's process group and ignores every signal
/// it can (what reaches the group is for the step; it leaves once the step has). The moment the
/// step ends it writes how to the exit file (a gang's stop may kill this process while it still
/// drains the pipes: the daemon then takes the step's status from the file), and once the
/// output is drained it ends the same way, so the daemon that started it sees the step's own
/// status, and a daemon that did not records it from the file.
enum JobSupervisor {
    struct Options {
        var log = ""
        var exitFile = ""
        var command: [String] = []
    }

    static func run(_ arguments: ArraySlice<String>) -> Int32 {
        guard let options = parse(arguments) else {
            writeError("usage: swiftlet-agent supervise-job --log LOG --exit-file FILE -- COMMAND...")
            return 64
        }
        for signal in Int32(1)..<32 where ![SIGKILL, SIGSTOP, SIGCHLD].contains(signal) { Glibc.signal(signal, SIG_IGN) }
        let exitFile = JobExitFile.Writer(path: options.exitFile)
        let log = open(options.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let unopened = log < 0 ? SystemError(errno: errno, "cannot open \(options.log)") : nil
        let child: ProcessSpawner.Pipes
        do {
            // The step reads this process's stdin and stays in its process group; the signals
            // ignored here are reset to their defaults for it.
            child = try ProcessSpawner.spawn(
                options.command,
                environment: Environment.all(),
                workingDirectory: nil,
                standardInput: 0,
                newSession: false
            )
        } catch {
            writeError("\(error)")
            exitFile.record(JobExitFile(status: ExitStatus(code: 127), logCut: nil))
            return 127
        }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if devNull >= 0 {
            dup2(devNull, 0)  // the step holds its stdin; this process no longer reads it
            close(devNull)
        }
        var ended: ExitStatus?
        let cut =
            relay(stdout: child.stdout, stderr: child.stderr, log: log, path: options.log) {
                // The step ended (its output may still be draining): its status is kept at once.
                guard ended == nil, let status = reap(child.pid, blocking: false) else { return }
                ended = status
                exitFile.record(JobExitFile(status: status, logCut: nil))
            } ?? unopened.map { LogFile.Cut(offset: 0, error: $0) }
        let status = ended ?? reap(child.pid, blocking: true) ?? ExitStatus(code: 127)
        if cut != nil || ended == nil { exitFile.record(JobExitFile(status: status, logCut: cut)) }
        return leave(like: status)
    }

    private static func parse(_ arguments: ArraySlice<String>) -> Options? {
        var options = Options()
        var rest = arguments
        while let argument = rest.popFirst() {
            switch argument {
            case "--log": options.log = rest.popFirst() ?? ""
            case "--exit-file": options.exitFile = rest.popFirst() ?? ""
            case "--":
                options.command = Array(rest)
                rest = []
            default: return nil
            }
        }
        guard !options.log.isEmpty, !options.exitFile.isEmpty, options.command.first?.hasPrefix("/") == true else { return nil }
        return options
    }

    /// Copies the step's stdout and stderr to the log and on to this process's own, until both
    /// end. Returns where the log was cut, if a write to it failed (it then stops there).
    /// `check` runs after every wake and at least every 50 ms, to notice the step's end.
    private static func relay(stdout: Int32, stderr: Int32, log: Int32, path: String, check: () -> Void) -> LogFile.Cut? {
        var sources = [(from: stdout, to: Int32(1)), (from: stderr, to: Int32(2))]
        var forwarding: Set<Int32> = [1, 2]
        var cut: LogFile.Cut?
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !sources.isEmpty {
            var polled = sources.map { pollfd(fd: $0.from, events: Int16(POLLIN), revents: 0) }
            guard poll(&polled, nfds_t(polled.count), 50) >= 0 || errno == EINTR else { break }
            check()
            var ended: Set<Int32> = []
            for (index, source) in sources.enumerated() where polled[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(source.from, $0.baseAddress!, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                guard count > 0 else {
                    ended.insert(source.from)
                    continue
                }
                buffer.withUnsafeBytes { raw in
                    let piece = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                    if cut == nil, log >= 0, !FileDescriptorIO.writeAll(log, piece) {
                        cut = .afterFailedWrite(to: log, path: path)
                    }
                    // The daemon is gone (EPIPE): the log alone from now on.
                    if forwarding.contains(source.to), !FileDescriptorIO.writeAll(source.to, piece) { forwarding.remove(source.to) }
                }
            }
            for fd in ended { close(fd) }
            sources.removeAll { ended.contains($0.from) }
        }
        if log >= 0 { close(log) }
        return cut
    }

    /// How the step ended; nil while it runs (`blocking` false) or when it cannot be waited for.
    private static func reap(_ pid: pid_t, blocking: Bool) -> ExitStatus? {
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno == EINTR { continue }
            return nil
        }
        return ExitStatus(ChildReaper.Termination(waitStatus: status))
    }

    /// Ends this process as the step ended: with its exit code, or killed by its signal (with no
    /// core dump of this process).
    private static func leave(like status: ExitStatus) -> Int32 {
        guard status.signal != 0 else { return status.code }
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        let signal = Int32(status.signal)
        Glibc.signal(signal, SIG_DFL)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, signal)
        sigprocmask(SIG_UNBLOCK, &unblocked, nil)
        raise(signal)
        return 128 + signal
    }
}
