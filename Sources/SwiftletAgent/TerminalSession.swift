import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Serves a ``TerminalRequest`` (`swiftlet shell`): the user's login shell, or a command
/// through it, on a pseudo-terminal of its own as its session's controlling terminal, so that
/// job control, Ctrl-C (a byte the terminal turns into SIGINT), full-screen programs and window
/// changes behave as over ssh. The terminal's output is the stream's data; the stream's data is
/// typed into it. When the controller goes, the terminal is hung up (SIGHUP), then the
/// terminator stops what is left of the session.
enum TerminalSession {
    /// How long the terminal's last output may take to drain once the shell ended (a
    /// background job that keeps the terminal open does not hold the stream beyond it).
    static let drainAfterExit = TimeAmount.milliseconds(300)

    static func serve(_ payload: ByteBuffer, on stream: MuxStream) async {
        let request: TerminalRequest
        do {
            request = try TerminalRequest(payload: payload)
        } catch {
            try? await stream.reset(.badRequest, "bad terminal request: \(error)")
            return
        }
        let home = Environment.home
        let shell = Environment.loginShell
        let arguments = request.command.isEmpty ? [shell, "-l"] : [shell, "-c", request.command]
        var environment = Environment.all().filter { !$0.key.hasPrefix("SSH_") }
        environment.merge(request.environment) { _, requested in requested }
        environment["TERM"] = request.term.isEmpty ? "xterm-256color" : request.term
        environment["SHELL"] = shell
        var directory = CommandLine.expand(request.workingDirectory.isEmpty ? "~" : request.workingDirectory, home: home)
        if (try? FileSystem.createDirectories(directory)) == nil { directory = home }

        let terminal: (master: Int32, terminal: String)
        let pid: pid_t
        do {
            terminal = try PseudoTerminal.open(size: .init(rows: request.rows, columns: request.columns))
        } catch {
            try? await stream.reset(.spawnFailed, "\(error)")
            return
        }
        do {
            pid = try ProcessSpawner.spawnOnTerminal(
                arguments,
                environment: environment,
                workingDirectory: directory,
                terminal: terminal.terminal
            )
        } catch {
            close(terminal.master)
            try? await stream.reset(.spawnFailed, "\(error)")
            return
        }
        async let exit = ChildReaper.shared.termination(of: pid)
        var started = ByteBuffer()
        started.writeInteger(UInt32(pid))
        try? await stream.send(.started, payload: started)

        let master = terminal.master
        let connected = Flag(true)
        // The pump owns the master for reading, the sink a duplicate for writing (once both are
        // closed the terminal hangs up), and window changes act on a third.
        let output = StreamPump.start(master, as: .data, to: stream, connected: connected)
        let control = dup(master)
        defer { close(control) }
        let typing = await StreamSink.start(dup(master), from: stream) { sink, event in
            switch event {
            case .frame(let frame) where frame.kind == .eof:
                sink.close()
            case .frame(let frame) where frame.kind == .request:
                switch try? StreamRequest(payload: frame.payload) {
                case .signal(let number):
                    // Only real signal numbers: a peer's 2^31 must not trap, nor 0 probe.
                    if let signal = Int32(exactly: number), (1...64).contains(signal) { ProcessSpawner.signalGroup(pid, signal) }
                case .windowChange(let rows, let columns):
                    PseudoTerminal.setWindowSize(control, PseudoTerminal.WindowSize(rows: rows, columns: columns))
                case .go, .detach, .unknown, nil:
                    break
                }
            case .ended:
                sink.close()
                // The controller went without a word: the shell is hung up, then stopped.
                Task {
                    guard await stream.connectionFailure() != nil else { return }
                    await ProcessSession.terminator.terminate(
                        ProcessIdentity.current(pid),
                        taskID: nil
                    )
                }
            case .frame, .writeFailed:
                break
            }
        }
        if !typing {
            try? await stream.reset(.spawnFailed, "the terminal cannot be written")
            await ProcessSession.terminator.terminate(ProcessIdentity.current(pid), taskID: nil)
        }
        let status = ExitStatus(await exit)
        // What the shell wrote last is still in the terminal: read it, but not forever.
        let settled = stream.eventLoop.makePromise(of: Void.self)
        let once = Locked(false)
        let settle: @Sendable () -> Void = {
            if once.withLock({ done in
                defer { done = true }; return !done
            }) {
                settled.succeed()
            }
        }
        output.whenComplete { _ in settle() }
        stream.eventLoop.scheduleTask(in: drainAfterExit) { settle() }
        try? await settled.futureResult.get()
        if connected.value {
            try? await stream.send(.eof)
            try? await stream.send(.exit, payload: status.payload)
        }
    }
}
