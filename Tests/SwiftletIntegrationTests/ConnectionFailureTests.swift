import Foundation
import NIOCore
import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A peer that misbehaves gets a clear error and a closed connection, never a crash or a hang.
@Suite struct ConnectionFailureTests {
    let controllerHello = Hello(role: "controller", buildID: String(repeating: "c", count: 64), os: "linux", arch: "x86_64")
    /// A silence timeout far above any stall of a loaded 2-core machine, so that the error under
    /// test, not silence, ends the connection (the silence test sets its own).
    static let patient = PeerConnection.Timing(heartbeatInterval: .seconds(2), silenceTimeout: .seconds(120))

    func connectController(to peer: RawPeer, timing: PeerConnection.Timing = patient) async throws -> PeerConnection {
        try await PeerConnection.establish(
            input: peer.theirInput,
            output: peer.theirOutput,
            hello: controllerHello,
            bootstrapResponder: NoBootstrap(),
            timing: timing
        )
    }

    @Test func garbageBeforeThePreambleIsSkipped() async throws {
        let peer = RawPeer()
        peer.send(Array("Last login: Sun Nov 22\r\nWelcome!\n".utf8) + [0x89, 0x00, 0xff])
        peer.sendPreambleAndHello()
        let connection = try await connectController(to: peer)
        #expect(connection.peer.role == "agent")
        connection.close()
    }

    @Test func endlessGarbageWithoutAPreambleFailsClearly() async throws {
        let peer = RawPeer()
        peer.send([UInt8](repeating: UInt8(ascii: "x"), count: Preamble.maximumNoise + 10))
        await #expect {
            _ = try await connectController(to: peer)
        } throws: { error in
            let error = error as? ProtocolError
            return error?.code == .noPreamble && error?.message.contains("is it an agent?") == true
        }
    }

    @Test func aMalformedFrameClosesTheConnectionWithAReason() async throws {
        let peer = RawPeer()
        peer.sendPreambleAndHello()
        let connection = try await connectController(to: peer)
        peer.send([0, 0, 0, 2, 0x12, 0])  // length 2 cannot hold the 5-byte header
        let frames = await peer.readFramesUntilClosed()
        let failure = await connection.failure()
        #expect(failure?.code == .malformedFrame)
        let goAway = try #require(frames.last { $0.kind == .goAway })
        #expect(try ProtocolError(payload: goAway.payload).code == .malformedFrame)
    }

    @Test func anOversizedFrameIsRefusedBeforeItsPayloadArrives() async throws {
        let peer = RawPeer()
        peer.sendPreambleAndHello()
        let connection = try await connectController(to: peer)
        // Announce 1 GiB but send only the header: the refusal cannot wait for the payload.
        peer.send([0x40, 0, 0, 0, 0x12, 0, 0, 0, 1])
        let frames = await peer.readFramesUntilClosed()
        #expect(await connection.failure()?.code == .frameTooLarge)
        #expect(frames.contains { $0.kind == .goAway })
    }

    @Test func aPeerThatStopsAnsweringIsDetected() async throws {
        let peer = RawPeer()
        peer.sendPreambleAndHello()
        let timing = PeerConnection.Timing(heartbeatInterval: .milliseconds(200), silenceTimeout: .milliseconds(1500))
        let connection = try await connectController(to: peer, timing: timing)
        let started = ContinuousClock.now
        let frames = await peer.readFramesUntilClosed()  // the peer never answers a ping
        let elapsed = ContinuousClock.now - started
        let failure = await connection.failure()
        #expect(failure?.code == .peerSilent)
        // Detected, not waited on forever: a loaded CI run (the whole suite at once on two cores)
        // has taken 22 s to notice the 1.5 s of silence.
        #expect(elapsed < .seconds(60))
        #expect(frames.contains { $0.kind == .ping })
    }

    @Test func aPeerSpeakingAnotherProtocolVersionIsNamed() async throws {
        let peer = RawPeer()
        peer.send(Preamble.bytes)
        peer.send(Frame(kind: .hello, payload: Hello(versions: 7...9, role: "agent", buildID: "f00d", os: "linux", arch: "x86_64").payload))
        await #expect {
            _ = try await connectController(to: peer)
        } throws: { error in
            let error = error as? ProtocolError
            return error?.code == .versionMismatch && error?.message.contains("7-9") == true
        }
    }

    @Test func theRealAgentSurvivesAnOversizedFrameAndExitsCleanly() async throws {
        let peer = RawPeer()
        let agent = try ProcessSpawner.spawnAgent(TestSupport.agentPath, input: peer.theirInput, output: peer.theirOutput)
        peer.sendPreambleAndHello(role: "controller")
        peer.send([0x7f, 0xff, 0xff, 0xff, 0x10, 0, 0, 0, 1])
        let frames = await peer.readFramesUntilClosed()
        let goAway = try #require(frames.first { $0.kind == .goAway })
        #expect(try ProtocolError(payload: goAway.payload).code == .frameTooLarge)
        #expect(await ChildReaper.shared.termination(of: agent) == .exited(0))
    }

    /// Served by the daemon (through the relay) or, where no daemon can run, in the agent itself.
    @Test(arguments: [false, true])
    func theRealAgentRejectsFramesBeforeTheHello(withoutDaemon: Bool) async throws {
        let peer = RawPeer()
        let agent = try ProcessSpawner.spawnAgent(
            TestSupport.agentPath,
            input: peer.theirInput,
            output: peer.theirOutput,
            environment: withoutDaemon ? ["SWIFTLET_AGENT_NO_DAEMON": "1"] : [:]
        )
        peer.send(Preamble.bytes)
        let opening = StreamOpening(type: .exec, request: ExecRequest(command: "touch /tmp/should-not-run").payload)
        peer.send(Frame(kind: .open, stream: StreamID(1), payload: opening.payload))
        let frames = await peer.readFramesUntilClosed()
        let goAway = try #require(frames.first { $0.kind == .goAway })
        #expect(try ProtocolError(payload: goAway.payload).code == .unexpectedFrame)
        // 76 (EX_PROTOCOL): the handshake failed; nothing ran. A relay just ends with its connection.
        #expect(await ChildReaper.shared.termination(of: agent) == .exited(withoutDaemon ? 76 : 0))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/should-not-run"))
    }
}

extension ProcessSpawner {
    /// Starts `swiftlet-agent serve --stdio` on the given descriptors (closed here afterwards),
    /// with a home of its own (where its daemon lives) and `environment` added.
    static func spawnAgent(_ path: String, input: Int32, output: Int32, environment: [String: String] = [:]) throws -> pid_t {
        let home = try TestSupport.makeHome().path
        let variables = ProcessInfo.processInfo.environment.merging(environment.merging(["HOME": home]) { $1 }) { $1 }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        var pid: pid_t = 0
        let argv = [strdup(path), strdup("serve"), strdup("--stdio"), nil]
        defer { for pointer in argv { free(pointer) } }
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(input)
        close(output)
        guard result == 0 else { throw SystemError(errno: result, "cannot start \(path)") }
        return pid
    }
}
