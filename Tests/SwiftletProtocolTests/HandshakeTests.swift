import NIOCore
import Testing

@testable import SwiftletProtocol

@Suite struct HandshakeTests {
    let start = ContinuousClock.now

    func hello(_ role: String, _ versions: ClosedRange<UInt16>) -> Hello {
        Hello(versions: versions, role: role, buildID: String(repeating: "ab", count: 32), os: "linux", arch: "x86_64")
    }

    /// The error `action` closes the connection with; nil when it keeps it open.
    func closeError(_ action: ConnectionStateMachine.ReceiveAction) -> ProtocolError? {
        if case .close(let error, _) = action { return error }
        return nil
    }

    @Test func negotiatesTheHighestCommonVersion() throws {
        #expect(try hello("controller", 1...3).negotiate(with: hello("agent", 2...5)) == 3)
    }

    @Test func versionMismatchNamesBothRanges() {
        #expect {
            try hello("controller", 1...1).negotiate(with: hello("agent", 2...4))
        } throws: { error in
            let error = error as! ProtocolError
            return error.code == .versionMismatch && error.message.contains("1-1") && error.message.contains("2-4")
        }
    }

    @Test func establishesAfterTheHelloAndAnswersPings() {
        var machine = ConnectionStateMachine(local: hello("agent", 1...1), now: start)
        guard
            case .established(let version, let peer) = machine.received(
                Frame(kind: .hello, payload: hello("controller", 1...1).payload),
                at: start
            )
        else {
            Issue.record("no handshake")
            return
        }
        #expect(version == 1 && peer.role == "controller")
        var nonce = ByteBuffer()
        nonce.writeInteger(UInt64(42))
        guard case .reply(let pong) = machine.received(Frame(kind: .ping, payload: nonce), at: start) else {
            Issue.record("no pong")
            return
        }
        #expect(pong.kind == .pong && pong.payload == nonce)
    }

    @Test func anyFrameBeforeTheHelloClosesTheConnection() {
        var machine = ConnectionStateMachine(local: hello("agent", 1...1), now: start)
        guard case .close(let error, let notify) = machine.received(Frame(kind: .data, stream: StreamID(1)), at: start) else {
            Issue.record("accepted data before hello")
            return
        }
        #expect(error.code == .unexpectedFrame && notify)
    }

    /// An agent's machine past its handshake, pinging every 2 s and giving up after 10 s.
    func establishedWithHeartbeat() -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(
            local: hello("agent", 1...1),
            heartbeatInterval: .seconds(2),
            heartbeatTimeout: .seconds(10),
            now: start
        )
        _ = machine.received(Frame(kind: .hello, payload: hello("controller", 1...1).payload), at: start)
        return machine
    }

    @Test func silentPeerIsDetectedAfterTheTimeout() {
        var machine = establishedWithHeartbeat()
        guard case .reply(let ping) = machine.tick(at: start + .seconds(2)) else {
            Issue.record("no ping after an idle interval")
            return
        }
        #expect(ping.kind == .ping)
        _ = machine.received(Frame(kind: .pong, payload: ping.payload), at: start + .seconds(3))
        // Ticks come every second, as the handler makes them.
        for second in 4...12 {
            #expect(closeError(machine.tick(at: start + .seconds(second))) == nil, "closed although the peer answered at 3 s")
        }
        #expect(closeError(machine.tick(at: start + .seconds(13)))?.code == .peerSilent, "silence not detected")
    }

    /// When this side itself did not run for a while (a starved event loop, a laptop that slept),
    /// the peer's answers may be waiting unread: its silence is measured afresh, not blamed on it.
    @Test func aStallOnThisSideIsNotThePeersSilence() {
        var machine = establishedWithHeartbeat()
        _ = machine.tick(at: start + .seconds(1))
        #expect(closeError(machine.tick(at: start + .seconds(17))) == nil, "blamed the peer for this side's 16 s stall")
        for second in 18...26 { #expect(closeError(machine.tick(at: start + .seconds(second))) == nil) }
        #expect(closeError(machine.tick(at: start + .seconds(27)))?.code == .peerSilent, "a silent peer must still be found")
    }

    @Test func aPeerMayTakeLongerToAnswerTheHelloThanToAnswerAPing() {
        var machine = ConnectionStateMachine(
            local: hello("agent", 1...1),
            heartbeatTimeout: .seconds(10),
            handshakeTimeout: .seconds(60),
            now: start
        )
        machine.restartSilenceTimer(at: start)
        #expect(closeError(machine.tick(at: start + .seconds(30))) == nil, "gave up on the hello after 30 s")
        #expect(closeError(machine.tick(at: start + .seconds(61)))?.code == .peerSilent, "waited for the hello forever")
    }

    @Test func dataBeyondTheCreditWindowIsAViolation() {
        var machine = ConnectionStateMachine(local: hello("agent", 1...1), window: 8, now: start)
        _ = machine.received(Frame(kind: .hello, payload: hello("controller", 1...1).payload), at: start)
        let opening = StreamOpening(type: .exec, request: ExecRequest(command: "cat").payload)
        _ = machine.received(Frame(kind: .open, stream: StreamID(1), payload: opening.payload), at: start)
        guard case .deliver = machine.received(Frame(kind: .data, stream: StreamID(1), payload: ByteBuffer(string: "12345678")), at: start)
        else {
            Issue.record("in-window data refused")
            return
        }
        guard
            case .close(let error, _) = machine.received(
                Frame(kind: .data, stream: StreamID(1), payload: ByteBuffer(string: "9")),
                at: start
            )
        else {
            Issue.record("over-window data accepted")
            return
        }
        #expect(error.code == .flowControlViolated)
    }

    @Test func creditIsGrantedBackOnceHalfTheWindowIsConsumed() throws {
        var window = CreditWindow(window: 100)
        #expect(window.reserveSend(upTo: 150) == 100)
        #expect(window.reserveSend(upTo: 1) == 0)
        try window.received(60)
        #expect(window.consumed(40) == nil)
        #expect(window.consumed(20) == 60)
        try window.peerGranted(30)
        #expect(window.reserveSend(upTo: 50) == 30)
    }
}

@Suite struct PreambleScannerTests {
    @Test func skipsBannersAndFindsThePreamble() throws {
        var scanner = PreambleScanner()
        var buffer = ByteBuffer(string: "Welcome to Ubuntu!\n\u{1b}[1mmotd\u{1b}[0m\n")
        buffer.writeBytes(Preamble.bytes)
        buffer.writeString("FRAMES")
        #expect(try scanner.scan(&buffer) == [.preambleFound])
        #expect(buffer.readString(length: buffer.readableBytes) == "FRAMES")
    }

    @Test func findsAPreambleSplitAcrossReads() throws {
        var scanner = PreambleScanner()
        var events: [PreambleScanner.Event] = []
        var pending = ByteBuffer()
        for byte in Array("noise".utf8) + Preamble.bytes {
            pending.writeInteger(byte)
            events += try scanner.scan(&pending)
        }
        #expect(events == [.preambleFound])
    }

    @Test func collectsBootstrapLines() throws {
        var scanner = PreambleScanner()
        var buffer = ByteBuffer(bytes: [0x89] + Array("SWL:need x86_64\n".utf8))
        #expect(try scanner.scan(&buffer) == [.bootstrapLine(BootstrapLine(verb: "need", text: "x86_64"))])
    }

    @Test func givesUpOnEndlessGarbage() {
        var scanner = PreambleScanner(maximumNoise: 1000)
        var buffer = ByteBuffer(repeating: UInt8(ascii: "x"), count: 2000)
        #expect {
            _ = try scanner.scan(&buffer)
        } throws: { error in
            (error as? ProtocolError)?.code == .noPreamble
        }
    }

    @Test func aLookalikeMarkerIsSkipped() throws {
        var scanner = PreambleScanner()
        var buffer = ByteBuffer(bytes: [0x89, 0x53, 0x57, 0x4C, 0x00, 0x89] + Preamble.bytes)
        #expect(try scanner.scan(&buffer) == [.preambleFound])
    }
}
