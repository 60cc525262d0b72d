import NIOCore
import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A connection to a node's agent that a ``ConnectionKeeper`` opens before anyone needs it: the
/// transport runs, the preambles and hellos are exchanged, and not one byte more was read. A
/// client that takes it gets the two descriptors and what the handshake agreed, and from then
/// on talks to the agent directly: with ssh's ControlMaster the master writes the node's output
/// straight into the client's pipe, and no relay copies it on the way.
struct SpareLane: Sendable {
    /// The transport process (an ssh client, `kubectl exec`, ...), the keeper's child.
    let pid: pid_t
    /// Read end of the transport's stdout.
    let input: Int32
    /// Write end of the transport's stdin.
    let output: Int32
    let version: UInt16
    let peer: Hello
    let opened: ContinuousClock.Instant

    /// Closes the keeper's descriptors and ends the transport (a lane no client took).
    func discard() {
        closeDescriptors()
        if pid > 0 { kill(pid, SIGTERM) }  // never 0 or -1: that would signal a whole group
    }

    func closeDescriptors() {
        close(input)
        close(output)
    }

    /// Keeps the agent from counting an idle lane as silent. A pong needs no answer, and the
    /// agent's pings wait unread in the pipe for the client that takes the lane. False when the
    /// transport does not take it (gone, or not reading): the lane is then retired.
    func sendKeepalive() -> Bool {
        var frame = ByteBuffer()
        frame.writeFrame(Frame(kind: .pong, payload: ByteBuffer(integer: UInt64(0))))
        return frame.withUnsafeReadableBytes { FileDescriptorIO.writeAll(output, $0) }
    }
}

extension NodeConnector {
    /// Opens a lane to `address`, blocking the calling thread for the handshake (a keeper's
    /// background thread). The agent must already be installed: a lane never uploads it.
    func openSpareLane(to address: NodeAddress, stderrFile: String, timeout: Duration = .seconds(30)) throws -> SpareLane {
        let (arguments, environment, workingDirectory) = try transportCommand(for: address, lane: true)
        let pipes = try ProcessSpawner.spawn(
            arguments,
            environment: environment,
            workingDirectory: workingDirectory,
            stderrFile: stderrFile
        )
        if pipes.stderr >= 0 { close(pipes.stderr) }
        // The node's output arrives here: let a streaming job's frames land in one read each.
        PipeCapacity.grow(pipes.stdout)
        do {
            var reader = ExactReader(fd: pipes.stdout, deadline: .now + timeout)
            try reader.skipToPreamble()
            let frame = try reader.frame()
            guard frame.kind == .hello, frame.stream == .control else {
                throw ControllerError("the agent opened with \(frame.kind), not its hello")
            }
            let peer = try Hello(payload: frame.payload)
            // The lane left a daemon of another build in place: fine only if systemd runs it.
            guard peer.buildID == binary.sha256 || peer.capabilities.contains("managed-daemon") else {
                throw ControllerError("the node's daemon is build \(peer.buildID.prefix(12)); a command will replace it")
            }
            let version = try controllerHello.negotiate(with: peer)
            var opening = ByteBuffer(bytes: Preamble.bytes)
            opening.writeFrame(Frame(kind: .hello, payload: controllerHello.payload))
            guard opening.withUnsafeReadableBytes({ FileDescriptorIO.writeAll(pipes.stdin, $0) }) else {
                throw ControllerError("the transport closed its input")
            }
            // Keepalives must never block the keeper (a pong fits in a pipe's atomic write: it
            // goes in whole or not at all). The client's event loop wants it non-blocking anyway.
            _ = fcntl(pipes.stdin, F_SETFL, fcntl(pipes.stdin, F_GETFL) | O_NONBLOCK)
            return SpareLane(pid: pipes.pid, input: pipes.stdout, output: pipes.stdin, version: version, peer: peer, opened: .now)
        } catch {
            SpareLane(pid: pipes.pid, input: pipes.stdout, output: pipes.stdin, version: 0, peer: controllerHello, opened: .now).discard()
            throw error
        }
    }
}

/// Reads exactly what is asked from a descriptor, before a deadline.
struct ExactReader {
    let fd: Int32
    let deadline: ContinuousClock.Instant

    /// Reads up to and including the agent's preamble, one byte at a time so that nothing after
    /// it is taken. A bootstrap line means the agent is not installed: not a lane's job.
    mutating func skipToPreamble() throws {
        var scanner = PreambleScanner()
        var pending = ByteBuffer()
        while true {
            pending.writeBytes(try bytes(1))
            for event in try scanner.scan(&pending) {
                switch event {
                case .preambleFound: return
                case .bootstrapLine(let line): throw ControllerError("the bootstrap asked '\(line.verb)'; the agent is not installed")
                }
            }
        }
    }

    /// One whole frame.
    mutating func frame() throws -> Frame {
        var buffer = ByteBuffer(bytes: try bytes(4))
        let length = Int(buffer.getInteger(at: 0, as: UInt32.self)!)
        guard length >= Frame.headerBytesAfterLength, length <= Frame.defaultMaximumPayload else {
            throw ControllerError("a frame of \(length) bytes opened the agent's side")
        }
        buffer.writeBytes(try bytes(length))
        var decoder = FrameDecoder()
        return try decoder.decode(buffer: &buffer)!
    }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            try waitReadable()
            let got = result.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard got > 0 else { throw ControllerError("the transport ended before the agent's hello") }
            filled += got
        }
        return result
    }
}

extension ExactReader {
    /// Returns once `fd` has something to read (or its end), or throws at the deadline.
    func waitReadable() throws {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw ControllerError("no answer in time") }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno != EINTR { throw SystemError(errno: errno, "poll") }
            if ready > 0 { return }
        }
    }
}

/// Blocking writes of whole buffers.
enum FileDescriptorIO {
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
