import NIOCore
import SwiftletProtocol
import SwiftletTransport
import Testing

/// A data frame that arrives over several reads reaches a consumer of bytes in pieces, as it was
/// read, and a consumer of records (one per frame) whole.
@Suite struct DataFramePiecesTests {
    @Test func recordsArriveWholeAndBytesInPieces() async throws {
        let peer = RawPeer()
        peer.sendPreambleAndHello()
        let connection = try await ConnectionFailureTests().connectController(to: peer)
        let records = try await connection.openStream(.jobs, request: ByteBuffer())
        let output = try await connection.openStream(.follow, request: ByteBuffer())
        let payload = (0..<150_000).map { UInt8($0 % 251) }
        for stream in [records.id, output.id] {
            var wire = ByteBuffer()
            wire.writeFrame(Frame(kind: .data, stream: stream, payload: ByteBuffer(bytes: payload)))
            let bytes = Array(wire.readableBytesView)
            // The rest only once the first part was read: two reads at least.
            peer.send(Array(bytes[..<60_000]))
            try await peer.waitUntilRead()
            peer.send(Array(bytes[60_000...]))
            peer.send(Frame(kind: .exit, stream: stream, payload: ExitStatus(code: 0).payload))
        }
        var whole: [[UInt8]] = []
        for await frame in records.inbound where frame.kind == .data { whole.append(Array(frame.payload.readableBytesView)) }
        var pieces: [[UInt8]] = []
        for await frame in output.inboundPieces where frame.kind == .data { pieces.append(Array(frame.payload.readableBytesView)) }
        #expect(whole == [payload])
        #expect(pieces.count >= 2, "\(pieces.map(\.count))")
        #expect(pieces.joined().elementsEqual(payload))
        connection.close()
    }
}
