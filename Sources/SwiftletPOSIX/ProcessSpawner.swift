#if canImport(Glibc)
    import Glibc
#endif

/// Starts processes with `posix_spawn`, each in a new session (so its own process group), with
/// default signal dispositions and an empty signal mask whatever the parent has set.
public enum ProcessSpawner {
    /// The standard descriptors a child gets, and the new child's pid.
    public struct Pipes: Sendable {
        /// Write end of the child's stdin.
        public var stdin: Int32
        /// Read end of the child's stdout.
        public var stdout: Int32
        /// Read end of the child's stderr, or -1 when it goes to a file.
        public var stderr: Int32
        public var pid: pid_t
    }

    /// Spawns `arguments[0]` (an absolute path) with fresh pipes for stdin, stdout and stderr.
    /// The returned descriptors are close-on-exec and owned by the caller. With `standardInput`
    /// the child reads that descriptor instead of a new pipe (``Pipes/stdin`` is then -1); with
    /// `newSession` false it stays in the caller's process group (signals to the group reach it).
    public static func spawn(
        _ arguments: [String],
        environment: [String: String],
        workingDirectory: String?,
        stderrFile: String? = nil,
        standardInput: Int32? = nil,
        newSession: Bool = true
    ) throws(SystemError) -> Pipes {
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        var opened: [Int32] = []
        func closeAll() { for fd in opened { close(fd) } }
        for index in 0..<3 {
            var pair: [Int32] = [-1, -1]
            guard gnuPipe2(&pair, O_CLOEXEC) == 0 else {
                let code = errno
                closeAll()
                throw SystemError(errno: code, "cannot create pipes for \(arguments[0])")
            }
            opened += pair
            switch index {
            case 0: stdinPipe = pair
            case 1: stdoutPipe = pair
            default: stderrPipe = pair
            }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, standardInput ?? stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        if let stderrFile {
            posix_spawn_file_actions_addopen(&actions, 2, stderrFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        }
        // Only 0, 1 and 2 reach the child: an inherited pipe end (from a concurrent spawn, or a
        // descriptor some library opened without O_CLOEXEC) would keep another pipe from ever
        // seeing EOF, and an ssh ControlPersist master would hold it for minutes.
        _ = gnuAddCloseFrom(&actions, 3)
        if let workingDirectory {
            _ = gnuAddChdir(&actions, workingDirectory)
        }

        var attributes = Self.freshSignals(newSession: newSession)
        defer { posix_spawnattr_destroy(&attributes) }

        var pid: pid_t = 0
        let result = posixSpawn(&pid, arguments, environment, &actions, &attributes)
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard result == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            let place = workingDirectory.map { " in \($0)" } ?? ""
            throw SystemError(errno: result, "cannot start \(arguments[0])\(place)")
        }
        if stderrFile != nil {
            close(stderrPipe[0])
            stderrPipe[0] = -1
        }
        if standardInput != nil {
            close(stdinPipe[1])
            stdinPipe[1] = -1
        }
        return Pipes(stdin: stdinPipe[1], stdout: stdoutPipe[0], stderr: stderrPipe[0], pid: pid)
    }

    /// Starts a background process in its own session with stdin from `/dev/null` and stdout
    /// and stderr appended to `logFile`; nobody waits for it (it outlives its parent).
    public static func spawnDetached(_ arguments: [String], environment: [String: String], logFile: String) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        _ = gnuAddCloseFrom(&actions, 3)
        _ = gnuAddChdir(&actions, "/")
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | 0x80))  // 0x80: POSIX_SPAWN_SETSID
        var pid: pid_t = 0
        let result = posixSpawn(&pid, arguments, environment, &actions, &attributes)
        guard result == 0 else { throw SystemError(errno: result, "cannot start \(arguments[0])") }
        return pid
    }

    /// Starts `arguments` in a new session whose controlling terminal is `terminal` (a
    /// pseudo-terminal's path): stdin, stdout and stderr are that terminal, as for a login.
    public static func spawnOnTerminal(
        _ arguments: [String],
        environment: [String: String],
        workingDirectory: String?,
        terminal: String
    ) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // After setsid (glibc runs the file actions after it), opening a terminal without
        // O_NOCTTY makes it the new session's controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, terminal, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        _ = gnuAddCloseFrom(&actions, 3)
        if let workingDirectory { _ = gnuAddChdir(&actions, workingDirectory) }
        var attributes = Self.freshSignals(newSession: true)
        defer { posix_spawnattr_destroy(&attributes) }
        var pid: pid_t = 0
        let result = posixSpawn(&pid, arguments, environment, &actions, &attributes)
        guard result == 0 else { throw SystemError(errno: result, "cannot start \(arguments[0]) on a terminal") }
        return pid
    }

    /// Spawn attributes for a child that starts with no signal blocked and every signal's
    /// default action (whatever this process set up), in a new session when `newSession`. The
    /// caller destroys them.
    private static func freshSignals(newSession: Bool) -> posix_spawnattr_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        let setSession: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc 2.26+), not imported as a constant
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? setSession : 0)))
        return attributes
    }

    /// `posix_spawn` of `arguments[0]` with C copies of the arguments and the environment.
    private static func posixSpawn(
        _ pid: inout pid_t,
        _ arguments: [String],
        _ environment: [String: String],
        _ actions: inout posix_spawn_file_actions_t,
        _ attributes: inout posix_spawnattr_t
    ) -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        return posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
    }

    /// Replaces this process with `arguments[0]` (a path), with `environment`, no signal
    /// blocked and every signal at its default action, as a spawned child starts. Returns only
    /// when it cannot: why.
    public static func replaceProcess(_ arguments: [String], environment: [String: String]) -> SystemError {
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        for number in 1..<Int32(32) where number != SIGKILL && number != SIGSTOP { signal(number, SIG_DFL) }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        execve(arguments[0], argv, envp)
        let failure = SystemError(errno: errno, "cannot run \(arguments[0])")
        for pointer in argv + envp { free(pointer) }
        return failure
    }

    /// Sends `signal` to the whole process group led by `pid`.
    public static func signalGroup(_ pid: pid_t, _ signal: Int32) {
        if kill(-pid, signal) != 0 {
            // The leader may have exited while its group lives on; fall back to the process itself.
            _ = kill(pid, signal)
        }
    }
}

// GNU extensions that the Glibc module does not import (it is built without _GNU_SOURCE).
@_silgen_name("pipe2")
private func gnuPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func gnuAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32

@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func gnuAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
