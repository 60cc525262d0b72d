import NIOCore
import NIOSSH
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// One SSH `session` channel: gathers its `env` and `pty-req` requests, then runs what its
/// `exec`, `shell` or `subsystem` request asks for on the node (see ``SSHProxy``), passing data,
/// EOF, window changes and signals on, and ends with the process's exit status or signal.
///
/// NIOSSH opens the client's window again as soon as data is read from the channel, so the
/// channel is not read while more than ``unwrittenLimit`` bytes it gave are still on their way
/// to the node: a client that floods a command that reads slowly is held back by SSH's window
/// instead of filling this process's memory.
final class SSHSessionChannel: ChannelDuplexHandler {
    typealias InboundIn = SSHChannelData
    typealias OutboundIn = Any

    static let unwrittenLimit = 1 << 20
    /// Bytes read from the channel and not yet written to the node.
    private var unwritten = 0
    /// A read asked for while too much was unwritten: done once enough is written.
    private var readHeld = false

    /// What the client sends once the process runs.
    enum Input: Sendable {
        case data(ByteBuffer)
        case eof
        case windowChange(rows: UInt16, columns: UInt16)
        case signal(Int32)
    }

    /// What a session runs.
    enum Program: Sendable {
        case command(String)
        case shell
        case sftp
    }

    struct Terminal: Sendable {
        var term: String
        var rows: UInt16
        var columns: UInt16
    }

    private let session: NodeSession
    private var environment: [String: String]
    private var terminal: Terminal?
    private var started = false
    private let inputs: AsyncStream<Input>
    private let continuation: AsyncStream<Input>.Continuation

    init(session: NodeSession, environment: [String: String]) {
        self.session = session
        self.environment = environment
        (inputs, continuation) = AsyncStream.makeStream(of: Input.self)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: true).whenFailure { _ in }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        guard case .byteBuffer(let bytes) = message.data, message.type == .channel else { return }
        unwritten += bytes.readableBytes
        continuation.yield(.data(bytes))
    }

    func read(context: ChannelHandlerContext) {
        guard unwritten <= Self.unwrittenLimit else {
            readHeld = true
            return
        }
        context.read()
    }

    /// On the event loop: `count` bytes the channel gave were written to the node.
    private func written(_ count: Int, context: ChannelHandlerContext) {
        unwritten -= count
        guard readHeld, unwritten <= Self.unwrittenLimit else { return }
        readHeld = false
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let request as SSHChannelRequestEvent.EnvironmentRequest:
            environment[request.name] = request.value
            reply(request.wantReply, true, context)
        case let request as SSHChannelRequestEvent.PseudoTerminalRequest:
            terminal = Terminal(
                term: request.term,
                rows: UInt16(clamping: request.terminalRowHeight),
                columns: UInt16(clamping: request.terminalCharacterWidth)
            )
            reply(request.wantReply, true, context)
        case let request as SSHChannelRequestEvent.ShellRequest:
            reply(request.wantReply, start(.shell, context), context)
        case let request as SSHChannelRequestEvent.ExecRequest:
            reply(request.wantReply, start(.command(request.command), context), context)
        case let request as SSHChannelRequestEvent.SubsystemRequest:
            reply(request.wantReply, request.subsystem == "sftp" && start(.sftp, context), context)
        case let request as SSHChannelRequestEvent.WindowChangeRequest:
            continuation.yield(
                .windowChange(rows: UInt16(clamping: request.terminalRowHeight), columns: UInt16(clamping: request.terminalCharacterWidth))
            )
        case let request as SSHChannelRequestEvent.SignalRequest:
            if let number = SSHSignals.number(request.signal) { continuation.yield(.signal(number)) }
        case ChannelEvent.inputClosed:
            continuation.yield(.eof)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func reply(_ wanted: Bool, _ success: Bool, _ context: ChannelHandlerContext) {
        guard wanted else { return }
        context.triggerUserOutboundEvent(success ? ChannelSuccessEvent() : ChannelFailureEvent(), promise: nil)
    }

    /// Starts `program` once per channel; false for a second one.
    private func start(_ program: Program, _ context: ChannelHandlerContext) -> Bool {
        guard !started else { return false }
        started = true
        let run = SSHSessionRun(
            session: session,
            environment: environment,
            terminal: program == .sftp ? nil : terminal,
            inputs: inputs,
            channel: context.channel,
            written: { [bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)] count in
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.written(count, context: context)
                }
            }
        )
        Task { await run.run(program) }
        return true
    }
}

extension SSHSessionChannel.Program: Equatable {}

/// The part of a session that talks to the node, off the event loop.
struct SSHSessionRun: Sendable {
    let session: NodeSession
    let environment: [String: String]
    let terminal: SSHSessionChannel.Terminal?
    let inputs: AsyncStream<SSHSessionChannel.Input>
    let channel: any Channel
    /// Tells the channel that bytes it gave reached the node (it reads more then).
    let written: @Sendable (Int) -> Void

    func run(_ program: SSHSessionChannel.Program) async {
        let process: RemoteProcess
        do {
            process = try await start(program)
        } catch {
            var message = ByteBuffer(string: "swiftlet: \(error)\r\n")
            if terminal == nil { message = ByteBuffer(string: "swiftlet: \(error)\n") }
            try? await channel.writeAndFlush(SSHChannelData(type: .stdErr, data: .byteBuffer(message)))
            await end(ExitStatus(code: 255))
            return
        }
        let input = Task {
            for await item in inputs {
                switch item {
                case .data(let bytes):
                    try? await process.writeStdin(bytes)
                    written(bytes.readableBytes)
                case .eof: try? await process.closeStdin()
                case .windowChange(let rows, let columns): try? await process.stream.send(.windowChange(rows: rows, columns: columns))
                case .signal(let number): try? await process.signal(number)
                }
            }
        }
        let status = try? await process.wait { event in
            switch event {
            case .stdout(let bytes): try? await channel.writeAndFlush(SSHChannelData(type: .channel, data: .byteBuffer(bytes)))
            case .stderr(let bytes): try? await channel.writeAndFlush(SSHChannelData(type: .stdErr, data: .byteBuffer(bytes)))
            default: break
            }
        }
        input.cancel()
        await end(status ?? ExitStatus(code: 255))
    }

    private func start(_ program: SSHSessionChannel.Program) async throws -> RemoteProcess {
        switch (program, terminal) {
        case (.sftp, _):
            // The agent's own SFTP server: the node needs no sftp-server of its own.
            let request = ExecRequest(command: #"exec "$SWIFTLET_AGENT" sftp-server"#, workingDirectory: "~", environment: [:])
            return try await RemoteProcess.start(request, on: session)
        case (.shell, let terminal?):
            return try await NodeShell.openTerminal(terminalRequest("", terminal), on: session)
        case (.command(let command), let terminal?):
            return try await NodeShell.openTerminal(terminalRequest(command, terminal), on: session)
        case (.shell, nil):
            return try await NodeShell.run(#"exec "${SHELL:-/bin/sh}" -l"#, environment: environment, in: "~", on: session)
        case (.command(let command), nil):
            return try await NodeShell.run(command, environment: environment, in: "~", on: session)
        }
    }

    private func terminalRequest(_ command: String, _ terminal: SSHSessionChannel.Terminal) -> TerminalRequest {
        TerminalRequest(
            command: command,
            workingDirectory: "~",
            environment: environment,
            term: terminal.term,
            rows: terminal.rows,
            columns: terminal.columns
        )
    }

    /// The exit status (or signal), then the channel's close.
    private func end(_ status: ExitStatus) async {
        if status.signal != 0 {
            let event = SSHChannelRequestEvent.ExitSignal(
                signalName: SSHSignals.name(Int32(status.signal)),
                errorMessage: "",
                language: "",
                dumpedCore: false
            )
            try? await channel.triggerUserOutboundEvent(event)
        } else {
            try? await channel.triggerUserOutboundEvent(SSHChannelRequestEvent.ExitStatus(exitStatus: Int(status.code)))
        }
        try? await channel.close()
    }
}

/// SSH's signal names (RFC 4254 6.10) and Linux's numbers.
enum SSHSignals {
    static let table: [(String, Int32)] = [
        ("ABRT", SIGABRT), ("ALRM", SIGALRM), ("FPE", SIGFPE), ("HUP", SIGHUP), ("ILL", SIGILL), ("INT", SIGINT), ("KILL", SIGKILL),
        ("PIPE", SIGPIPE), ("QUIT", SIGQUIT), ("SEGV", SIGSEGV), ("TERM", SIGTERM), ("USR1", SIGUSR1), ("USR2", SIGUSR2),
    ]

    static func number(_ name: String) -> Int32? { table.first { $0.0 == name }?.1 }

    static func name(_ number: Int32) -> String { table.first { $0.1 == number }?.0 ?? "KILL" }
}
