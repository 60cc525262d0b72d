import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

/// Keeps a node's agent connection open between commands, as ssh's ControlMaster keeps its
/// session: a background `swiftlet keeper` process holds the connection, so a warm `exec`
/// costs one local hop instead of a new ssh session, shell and agent start.
///
/// A client that connects to its unix socket gets a ``SpareLane`` when one is ready (a second
/// agent connection opened ahead of need, which the client then drives itself, with nothing
/// between it and the transport), or else has its streams relayed over the keeper's own
/// connection. The keeper exits after `idle` without clients, or at once when the node
/// connection breaks (the next command starts a new one).
public enum ConnectionKeeper {
    /// Where the keeper of `address` listens; a pid file and a log sit beside it.
    public static func socketPath(home: SwiftletHome, address: NodeAddress) -> String {
        let key = SHA256Digest.hex(of: Array(address.canonicalJSON.utf8))
        // "-2": the second keeper protocol (a client asks for a lane first).
        return home.path + "/keep/" + key.prefix(20) + "-2.sock"
    }

    /// Stops the keeper of `address`, if one runs.
    public static func stop(home: SwiftletHome, address: NodeAddress) {
        let socket = socketPath(home: home, address: address)
        if let text = try? String(contentsOfFile: socket + ".pid", encoding: .utf8), let pid = Int32(text) {
            kill(pid, SIGTERM)
        }
        unlink(socket)
        unlink(socket + ".pid")
    }

    /// The body of `swiftlet keeper`: connects to the node, reports `ready` (or the error) as one
    /// line through `report`, then serves clients until idle or the node connection is lost.
    public static func run(
        connector: NodeConnector,
        address: NodeAddress,
        name: String,
        idle: Duration,
        spareLanes: Int,
        log: @escaping @Sendable (String) -> Void,
        report: (String) -> Void
    ) async -> Int32 {
        signal(SIGPIPE, SIG_IGN)  // a lane's transport may end while the keeper writes to it
        let socket = socketPath(home: connector.home, address: address)
        let upstream: NodeSession
        let listener: Int32
        let lock: FileLock
        do {
            try connector.home.ensure(FileSystem.parent(of: socket))
            // One keeper per node: commands that start one at the same moment share the first.
            guard let held = try await takeKeeperLock(socket: socket, clock: connector.clock) else {
                report(HelperReport.ready.line)
                return 0
            }
            lock = held
            upstream = try await connector.connect(to: address, name: name)
            listener = try UnixSocket.listen(path: socket)
            try String(getpid()).write(toFile: socket + ".pid", atomically: true, encoding: .utf8)
        } catch let error as NodeError {
            report(HelperReport.failed(error).line)
            return 1
        } catch {
            report(HelperReport.failed(NodeError(node: name, step: "connect", "\(error)")).line)
            return 1
        }
        report(HelperReport.ready.line)
        defer { lock.release() }
        // The first lane opens like the next ones, once the keeper has been quiet a moment: not
        // while the command that started the keeper runs.
        let lanes = LanePool(target: spareLanes, log: { log("keeper: \($0)") }) {
            try connector.openSpareLane(to: address, stderrFile: socket + ".lane.log")
        }
        let clients = Locked(0)
        let retired = Locked(false)
        // Stops taking clients (the accept loop ends, and with it the loop over clients below).
        let stopTakingClients: @Sendable () -> Void = {
            let first = retired.withLock { was in
                defer { was = true }
                return !was
            }
            if first { retire(socket: socket, listener: listener, lanes: lanes) }
        }
        let accepted = acceptLoop(listener, lanes: lanes)
        let clock = connector.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    await clock.pause(for: .milliseconds(100))
                    lanes.tend(relaying: clients.withLock { $0 } > 0)
                }
            }
            group.addTask {
                // The node is gone: stop taking clients at once, so the next command starts afresh,
                // and give the relays a moment to tell their clients why.
                await upstream.connection.closed()
                lanes.shutDown()
                unlink(socket)
                let deadline = clock.deadline(after: .seconds(2))
                while clients.withLock({ $0 }) > 0, !clock.hasPassed(deadline), !Task.isCancelled {
                    await clock.pause(for: .milliseconds(20))
                }
                stopTakingClients()
            }
            group.addTask {
                var idleSince = clock.now
                while !Task.isCancelled {
                    await clock.pause(for: .milliseconds(500))
                    if clients.withLock({ $0 }) + lanes.takenCount > 0 {
                        idleSince = clock.now
                    } else if clock.now - idleSince > idle {
                        break
                    }
                }
                await upstream.close()
                stopTakingClients()
            }
            for await fd in accepted {
                clients.withLock { $0 += 1 }
                group.addTask {
                    defer { clients.withLock { $0 -= 1 } }
                    guard await upstream.connection.failure() == nil else {
                        close(fd)  // the client sees the keeper gone and starts a new one
                        return
                    }
                    guard
                        let client = try? await PeerConnection.establish(
                            input: fd,
                            output: dup(fd),
                            hello: upstream.connection.peer
                        )
                    else { return }
                    _ = await ConnectionRelay.serve(client, upstream: upstream.connection)
                }
            }
            // Retired: the relays end with the upstream connection; the timers stop now.
            group.cancelAll()
        }
        close(listener)
        return 0
    }

    /// Takes the keeper's lock of `socket`. Nil when another keeper holds it and now listens
    /// (a command that started this one at the same moment then uses that keeper); the lock
    /// when it was free, or became free because that keeper went.
    private static func takeKeeperLock(socket: String, clock: LoopClock) async throws -> FileLock? {
        let deadline = clock.deadline(after: .seconds(120))
        while true {
            if let lock = try FileLock(path: socket + ".lock") { return lock }
            if let fd = try? UnixSocket.connect(path: socket) {
                close(fd)
                return nil
            }
            guard !clock.hasPassed(deadline) else {
                throw ControllerError("another connection keeper holds \(socket).lock but never listened")
            }
            try await clock.sleep(for: .milliseconds(50))
        }
    }

    /// Removes the socket so no new client finds this keeper, and wakes the accept loop, which
    /// then ends.
    private static func retire(socket: String, listener: Int32, lanes: LanePool) {
        lanes.shutDown()
        unlink(socket)
        unlink(socket + ".pid")
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// Accepted clients that are to be relayed, from a thread that may block in `accept`. A
    /// client that asks while a spare lane is ready is handed the lane there and then.
    private static func acceptLoop(_ listener: Int32, lanes: LanePool) -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        BlockingThread.start {
            while let fd = try? UnixSocket.accept(listener) {
                guard LaneHandoff.readRequest(from: fd) else {
                    close(fd)
                    continue
                }
                if let lane = lanes.take() {
                    _ = LaneHandoff.give(lane, to: fd)
                    close(fd)
                } else if LaneHandoff.sayRelay(to: fd) {
                    lanes.noteActivity()
                    continuation.yield(fd)
                } else {
                    close(fd)
                }
            }
            continuation.finish()
        }
        return stream
    }
}
