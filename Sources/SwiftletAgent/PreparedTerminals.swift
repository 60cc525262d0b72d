import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Terminals the transport gives (``PreparedTerminal``): a shell started on sshd's own
/// pseudo-terminal by `ssh -tt`, so that a keystroke and its echo cross ssh, sshd and the shell
/// and nothing of ours. The daemon keeps the ``TerminalRequest`` (its environment may hold a
/// task's tokens, which must not be on a command line) in `~/.swiftlet/run/terminals/TICKET`,
/// 0600 in a 0700 directory, and answers `swiftlet-agent terminal TICKET`; that command takes
/// the request once, within ``PreparedTerminal/lifetimeSeconds``, and becomes the shell.
enum PreparedTerminals {
    static func serve(_ payload: ByteBuffer, on stream: MuxStream) async {
        guard (try? TerminalRequest(payload: payload)) != nil else {
            try? await stream.reset(.badRequest, "bad terminal request")
            return
        }
        let paths = RuntimePaths()
        let ticket = newTicket()
        do {
            try FileSystem.createDirectories(paths.terminals)
            removeExpired(in: paths.terminals)
            try AtomicFile.write(Array(payload.readableBytesView), to: paths.terminals + "/" + ticket, mode: 0o600)
            let agent = try SelfExecutable.path()
            var reply = ByteBuffer()
            PreparedTerminal(command: [agent, "terminal", ticket]).write(to: &reply)
            try await stream.send(.data, reply)
            try await stream.send(.exit, payload: ExitStatus(code: 0).payload)
        } catch {
            try? await stream.reset(.spawnFailed, "cannot prepare a terminal: \(error)")
        }
    }

    /// `swiftlet-agent terminal TICKET`, run on the transport's terminal: replaces this process
    /// with the prepared shell, in its directory with its environment over this session's.
    /// Returns only when it cannot (the exit code, the reason said on stderr).
    static func start(_ arguments: ArraySlice<String>) -> Int32 {
        guard arguments.count == 1, let ticket = arguments.first, isTicket(ticket) else {
            writeError("usage: swiftlet-agent terminal TICKET (as a prepared terminal's command gives it)")
            return 64
        }
        let terminals = RuntimePaths().terminals
        let taken = take(ticket, from: terminals)
        removeExpired(in: terminals)
        let request: TerminalRequest
        switch taken {
        case .success(let prepared): request = prepared
        case .failure(let reason):
            writeError("swiftlet-agent: \(reason); run 'swiftlet shell' again")
            return 1
        }
        let home = Environment.home
        let shell = Environment.loginShell
        var environment = Environment.all()
        environment.merge(request.environment) { _, requested in requested }
        // sshd set this terminal's TERM from the user's; the request's is the same or a default.
        if environment["TERM", default: ""].isEmpty { environment["TERM"] = request.term.isEmpty ? "xterm-256color" : request.term }
        environment["SHELL"] = shell
        let directory = CommandLine.expand(request.workingDirectory.isEmpty ? "~" : request.workingDirectory, home: home)
        if (try? FileSystem.createDirectories(directory)) == nil || chdir(directory) != 0 { _ = chdir(home) }
        environment["PWD"] = nil
        let arguments = request.command.isEmpty ? [shell, "-l"] : [shell, "-c", request.command]
        let failure = ProcessSpawner.replaceProcess(arguments, environment: environment)
        writeError("swiftlet-agent: \(failure)")
        return 126
    }

    /// The request kept under `ticket`, taken away (renamed first, so that of two commands
    /// racing for one ticket exactly one has it), or why there is none.
    static func take(_ ticket: String, from directory: String) -> Result<TerminalRequest, TerminalTicketError> {
        let path = directory + "/" + ticket
        let taken = path + ".taken-\(getpid())"
        guard rename(path, taken) == 0 else { return .failure(TerminalTicketError("no prepared terminal \(ticket) (used, or never made)")) }
        defer { unlink(taken) }
        var info = stat()
        guard stat(taken, &info) == 0, info.st_uid == getuid() else {
            return .failure(TerminalTicketError("prepared terminal \(ticket) is not this user's"))
        }
        guard time(nil) - info.st_mtim.tv_sec <= PreparedTerminal.lifetimeSeconds else {
            return .failure(TerminalTicketError("prepared terminal \(ticket) expired"))
        }
        guard let bytes = FileSystem.bytes(of: taken, limit: 16 << 20),
            let request = try? TerminalRequest(payload: ByteBuffer(bytes: bytes))
        else { return .failure(TerminalTicketError("prepared terminal \(ticket) cannot be read")) }
        return .success(request)
    }

    /// 128 random bits as 32 lowercase hex digits.
    static func newTicket() -> String {
        (0..<2).map { _ in
            let digits = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    /// A ticket is 32 lowercase hex digits: never a path.
    static func isTicket(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Removes what no command took in time (an `ssh -tt` that never connected), whenever a
    /// terminal is prepared or taken.
    private static func removeExpired(in directory: String) {
        let now = time(nil)
        for name in FileSystem.entries(of: directory) {
            var info = stat()
            let path = directory + "/" + name
            if lstat(path, &info) == 0, now - info.st_mtim.tv_sec > PreparedTerminal.lifetimeSeconds { unlink(path) }
        }
    }
}

struct TerminalTicketError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
