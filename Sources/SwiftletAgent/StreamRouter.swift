import NIOCore
import SwiftletProtocol
import SwiftletTransport

/// Hands each stream a controller opens to the service for its ``StreamType``. A type the agent
/// does not serve is answered ``StreamFailure/Code/unsupported``: never run as a command. A new
/// kind of stream (a PTY, a TCP forward, an SSH session) is one more entry in ``standard``, and
/// the hello announces it (``capabilities``).
struct StreamRouter: Sendable {
    typealias Service = @Sendable (_ request: ByteBuffer, _ stream: MuxStream) async -> Void

    let services: [StreamType: Service]

    static let standard = StreamRouter(services: [
        .exec: ProcessSession.serve,
        .sync: FileReceiver.serve,
        .follow: { request, stream in await LogFollower.serve(request, on: stream) },
        .cancel: JobCanceller.serve,
        .stop: JobCanceller.stop,
        .jobs: RuntimeQueries.listJobs,
        .forget: RuntimeQueries.forget,
        .nodeState: { _, stream in await RuntimeQueries.nodeState(stream: stream) },
        .terminal: TerminalSession.serve,
        .preparedTerminal: PreparedTerminals.serve,
        .forward: ForwardSession.serve,
        .autostop: AutostopService.serve,
    ])

    /// The in-stream requests the agent acts on, beyond `signal` and `go` (which every version
    /// 2 agent knows).
    static let requests: [StreamRequest] = [.detach, .windowChange(rows: 0, columns: 0)]

    /// What the hello announces: every stream type served, and the requests acted on.
    var capabilities: [String] {
        services.keys.map(\.capability).sorted() + Self.requests.map(\.capability)
    }

    /// Serves the stream that `opening` (an ``FrameKind/open`` frame) started.
    func serve(_ opening: Frame, on stream: MuxStream) async {
        let request: StreamOpening
        do {
            request = try StreamOpening(payload: opening.payload)
        } catch {
            try? await stream.reset(.badRequest, "bad stream opening: \(error)")
            return
        }
        guard let service = services[request.type] else {
            try? await stream.reset(.unsupported, "this agent serves no '\(request.type)' streams")
            return
        }
        await service(request.request, stream)
    }
}
