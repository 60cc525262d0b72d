import NIOCore
import NIOPosix
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Serves one controller connection on the agent's stdin and stdout.
enum AgentServer {
    static func serveStandardIO() async -> Int32 {
        // The protocol gets private copies of stdin and stdout; fd 1 then points at stderr and
        // fd 0 at /dev/null, so a stray write to stdout can never corrupt the frame stream.
        let input = dup(0)
        let output = dup(1)
        dup2(2, 1)
        let devNull = open("/dev/null", O_RDONLY)
        if devNull >= 0 {
            dup2(devNull, 0)
            close(devNull)
        }
        let hello: Hello
        do {
            hello = try AgentBuild.hello()
        } catch {
            writeError("swiftlet-agent: \(error)")
            return 70
        }
        let connection: PeerConnection
        await NodeRuntime.shared.connectionOpened()
        do {
            connection = try await PeerConnection.establish(input: input, output: output, hello: hello)
        } catch {
            writeError("swiftlet-agent: handshake failed: \(error)")
            return 76
        }
        await serve(connection)
        return 0
    }

    /// Serves the streams the controller opens on `connection` until it closes, then calls
    /// `connectionEnded` and returns once the sessions it started have ended (a job's run may
    /// outlive its connection by far). The caller counted the connection open
    /// (``NodeRuntime/connectionOpened()``) before its handshake; this counts it closed.
    static func serve(_ connection: PeerConnection, connectionEnded: @escaping @Sendable () -> Void = {}) async {
        let runtime = NodeRuntime.shared
        let router = StreamRouter.standard
        await withTaskGroup(of: Void.self) { group in
            for await (frame, frames) in connection.acceptedStreams {
                let stream = connection.stream(accepting: frame, frames: frames)
                group.addTask { await router.serve(frame, on: stream) }
            }
            // The connection is gone (or going: let its last frame, maybe a goAway, go out).
            connection.close()
            await connection.closed()
            await runtime.connectionClosed()
            connectionEnded()
            await group.waitForAll()
        }
    }
}
