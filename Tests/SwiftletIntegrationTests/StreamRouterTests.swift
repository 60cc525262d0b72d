import Foundation
import NIOCore
@testable import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Streams are typed: the agent hands each to the service for its type, answers a type it does
/// not serve "unsupported" (never running it as a command), announces what it serves, and acts
/// on typed requests on an open stream.
@Suite struct StreamRouterTests {
    func session() async throws -> NodeSession {
        let home = try TestSupport.makeHome()
        return try await TestSupport.connector(home: home).connect(to: .local(home: home.path + "/node"), name: "node 0 (local)")
    }

    @Test func aStreamTypeTheAgentDoesNotServeIsUnsupportedAndRunsNothing() async throws {
        let session = try await session()
        let marker = "/tmp/swiftlet-unsupported-\(getpid())"
        let request = ExecRequest(command: "touch \(marker)").payload
        let stream = try await session.connection.openStream(StreamType("pty-of-the-future"), request: request)
        var failure: StreamFailure?
        for await frame in stream.inbound where frame.kind == .reset { failure = try StreamFailure(payload: frame.payload) }
        // The connection goes on serving the types it knows.
        let echoed = try await session.run("echo still here")
        await session.close()
        #expect(failure?.code == .unsupported)
        #expect(failure?.message == "this agent serves no 'pty-of-the-future' streams")
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(echoed.stdout == "still here\n")
    }

    @Test func theHelloAnnouncesTheStreamTypesAndRequestsTheAgentServes() async throws {
        let session = try await session()
        let capabilities = session.connection.peer.capabilities
        await session.close()
        for type in [StreamType.exec, .sync, .follow, .cancel, .jobs, .nodeState] {
            #expect(capabilities.contains(type.capability), "\(capabilities)")
        }
        #expect(capabilities.contains(StreamRequest.detach.capability))
        #expect(!capabilities.contains(StreamType("pty-of-the-future").capability))
    }

    /// A signal number no signal has (2^31 and more, or 0) is ignored: it once trapped an
    /// integer conversion and took the daemon, with every job of the user, down with it.
    @Test func aSignalNumberOutOfRangeIsIgnoredAndTheAgentGoesOn() async throws {
        let session = try await session()
        let process = try await RemoteProcess.start(ExecRequest(command: "sleep 30"), on: session)
        try await process.closeStdin()
        try await process.stream.send(.signal(0x8000_0000))
        try await process.stream.send(.signal(UInt32.max))
        try await process.stream.send(.signal(0))
        try await process.stream.send(.unknownRequestFromANewerController)
        try await process.signal(SIGTERM)
        let status = try await process.wait { _ in }
        await session.close()
        #expect(status == .killed(by: SIGTERM))
    }

    @Test func requestsRoundTripAndUnknownOnesAreKeptByName() throws {
        for request in [StreamRequest.signal(15), .go, .detach, .windowChange(rows: 50, columns: 132), .unknown("x-later")] {
            #expect(try StreamRequest(payload: request.payload) == request)
        }
        #expect(try StreamRequest(payload: StreamRequest.unknownRequestFromANewerController.payload) == .unknown("resize-gpu"))
        #expect(throws: ProtocolError.self) { try StreamRequest(payload: ByteBuffer(bytes: [0, 0, 0, 6] + Array("signal".utf8))) }
    }
}

extension StreamRequest {
    /// A request with arguments this build does not know.
    static var unknownRequestFromANewerController: StreamRequest { .unknown("resize-gpu") }
}
