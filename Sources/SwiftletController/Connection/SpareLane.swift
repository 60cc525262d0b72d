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
        let launch = try transportLaunch(for: address, lane: true)
        let pipes = try ProcessSpawner.spawn(
            launch.arguments,
            environment: launch.environment,
            workingDirectory: launch.workingDirectory,
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
            // A lane leaves a daemon of another build in place (`--lane`): a command replaces it.
            guard serves(peer) else {
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
