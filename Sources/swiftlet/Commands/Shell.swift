import ArgumentParser
import Foundation
import NIOCore
import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

struct Shell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "A shell on a cluster's node, through its agent (no sshd needed).",
        discussion: """
            On a terminal: an interactive login shell (or COMMAND) on a terminal of its own on the node \
            (on an SSH node, sshd's: 'ssh -tt' through swiftlet's ControlMaster), in ~/sky_workdir with the job's SKYPILOT_* environment, inside the cluster's container when it has one. \
            Without a terminal, COMMAND runs with stdin, stdout and stderr as pipes, as 'ssh host COMMAND' does. \
            The exit code is the remote one.
            """
    ).underSwiftlet

    @Argument(help: "The cluster.")
    var cluster: String

    @Option(help: "The node's rank (0, the head, by default).")
    var node = 0

    @Argument(parsing: .postTerminator, help: "A command to run instead of a login shell, after --.")
    var command: [String] = []

    func run() async throws {
        let (cluster, node, line) = (cluster, node, command.joined(separator: " "))
        let code = try await CommandEnvironment.reportingErrors {
            let runner = try CommandEnvironment.runner()
            let interactive = Terminal.stdinIsTerminal && isatty(1) == 1
            let shell = NodeShell(connector: runner.connector)
            let (session, environment) = try await shell.connect(cluster: cluster, rank: node, for: interactive ? .terminal : .pipes)
            let code: Int32
            do {
                if interactive {
                    let request = TerminalSessionView.request(line, environment: environment)
                    if let launch = try await shell.transportTerminal(request, on: session) {
                        await session.close()
                        // The transport's own terminal (ssh -tt) in this process's place.
                        throw ControllerError("\(ProcessSpawner.replaceProcess(launch.arguments, environment: launch.environment))")
                    }
                    code = try await TerminalSessionView.run(request, on: session)
                } else {
                    // No terminal here: a login shell reads its commands from stdin, as `ssh host` does.
                    let command = line.isEmpty ? "if command -v bash >/dev/null; then exec bash; else exec sh; fi" : line
                    code = try await Self.piped(command, environment: environment, on: session)
                }
            } catch {
                await session.close()
                throw error
            }
            await session.close()
            return code
        }
        throw ExitCode(code)
    }

    /// `command` with pipes: stdin forwarded, stdout and stderr kept apart.
    static func piped(_ command: String, environment: [String: String], on session: NodeSession) async throws -> Int32 {
        let process = try await NodeShell.run(command, environment: environment, on: session)
        let input = Task { await process.forwardStandardInput() }
        defer { input.cancel() }
        let status = try await InterruptPolicy.leave.run {
            try await process.wait { event in
                switch event {
                case .stdout(let bytes): bytes.withUnsafeReadableBytes { Terminal.out($0) }
                case .stderr(let bytes): bytes.withUnsafeReadableBytes { Terminal.err($0) }
                default: break
                }
            }
        }
        return status.code
    }
}

/// The local end of a remote terminal: this terminal in raw mode (every key goes to the node,
/// Ctrl-C, Ctrl-Z and Ctrl-D as bytes the remote terminal acts on), restored however the
/// command ends; its size follows this window's (SIGWINCH).
enum TerminalSessionView {
    /// A terminal for `command` (empty: a login shell) in `~/sky_workdir`, this terminal's size.
    static func request(_ command: String, environment: [String: String]) -> TerminalRequest {
        let size = PseudoTerminal.windowSize(1) ?? PseudoTerminal.WindowSize(rows: 24, columns: 80)
        return TerminalRequest(
            command: command,
            workingDirectory: "~/sky_workdir",
            environment: environment,
            term: ProcessInfo.processInfo.environment["TERM"] ?? "xterm-256color",
            rows: size.rows,
            columns: size.columns
        )
    }

    static func run(_ request: TerminalRequest, on session: NodeSession) async throws -> Int32 {
        let stream = try await NodeShell.openTerminal(request, on: session).stream
        guard let saved = PseudoTerminal.makeRaw(0) else { throw ControllerError("cannot put this terminal in raw mode") }
        // The event loop makes the terminal's descriptors non-blocking: they are put back too.
        let flags = (fcntl(0, F_GETFL), fcntl(1, F_GETFL))
        let restore: @Sendable () -> Void = {
            PseudoTerminal.restore(0, saved)
            _ = fcntl(0, F_SETFL, flags.0)
            _ = fcntl(1, F_SETFL, flags.1)
        }
        defer { restore() }
        // The terminal goes back as it was even when the command is told to end.
        let signals = Task {
            for await signal in await UnixSignalsSequence(trapping: .sigwinch, .sigterm, .sighup) {
                if signal == .sigwinch {
                    if let size = PseudoTerminal.windowSize(1) {
                        try? await stream.send(.windowChange(rows: size.rows, columns: size.columns))
                    }
                    continue
                }
                restore()
                exit(signal == .sigterm ? 143 : 129)
            }
        }
        defer { signals.cancel() }
        return try await NodeShell.attach(stream, input: 0, output: 1).code
    }
}
