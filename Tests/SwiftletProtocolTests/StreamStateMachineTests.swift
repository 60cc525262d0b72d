import NIOCore
import Testing

@testable import SwiftletProtocol

/// A stream's halves close separately: after the peer's eof no byte may come from it, while the
/// other direction goes on until the stream ends.
@Suite struct StreamStateMachineTests {
    let start = ContinuousClock.now
    let stream = StreamID(1)

    func established() -> ConnectionStateMachine {
        let hello = { (role: String) in Hello(role: role, buildID: "b", os: "linux", arch: "x86_64") }
        var machine = ConnectionStateMachine(local: hello("agent"), now: start)
        _ = machine.received(Frame(kind: .hello, payload: hello("controller").payload), at: start)
        let opening = StreamOpening(type: .exec, request: ExecRequest(command: "cat").payload)
        _ = machine.received(Frame(kind: .open, stream: stream, payload: opening.payload), at: start)
        return machine
    }

    @Test func bytesAfterThePeersEOFCloseTheConnection() {
        var machine = established()
        guard case .deliver = machine.received(Frame(kind: .data, stream: stream, payload: ByteBuffer(string: "in")), at: start),
            case .deliver = machine.received(Frame(kind: .eof, stream: stream), at: start),
            case .close(let error, _) = machine.received(Frame(kind: .data, stream: stream, payload: ByteBuffer(string: "late")), at: start)
        else {
            Issue.record("bytes after eof were taken")
            return
        }
        #expect(error.code == .unexpectedFrame && error.message == "bytes on stream 1 after its eof")
    }

    @Test func aHalfClosedStreamStillCarriesTheOtherDirectionAndItsEnd() {
        var machine = established()
        _ = machine.received(Frame(kind: .eof, stream: stream), at: start)
        // This side goes on sending after the peer's eof (a process's output after its stdin
        // closed), then sends its own eof; the stream's end still arrives.
        #expect(machine.reserveSend(on: stream, upTo: 10) == 10)
        machine.sentEOF(on: stream)
        guard case .deliver = machine.received(Frame(kind: .reset, stream: stream, payload: ByteBuffer()), at: start) else {
            Issue.record("the stream's end was refused")
            return
        }
        #expect(machine.reserveSend(on: stream, upTo: 1) == nil, "the stream is forgotten once it ended")
    }

    @Test func eachHalfIsTrackedOnItsOwn() throws {
        var state = StreamStateMachine(window: 16)
        state.sentEOF()
        #expect(state.isDone && !state.peerIsDone)
        try state.receivedBytes(16, on: stream)
        #expect(throws: ProtocolError.self) { try state.receivedBytes(1, on: stream) }
        state.receivedEOF()
        #expect(throws: ProtocolError.self) { try state.receivedBytes(0, on: stream) }
    }
}
