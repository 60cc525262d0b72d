import NIOCore
import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// What a client and a keeper say first on the keeper's socket. The client asks with one byte;
/// the keeper answers with a ``SpareLane`` (its two descriptors, then the agreed version and the
/// agent's hello), or with one byte that says it relays this client's streams itself (then the
/// usual preamble and handshake follow on the same socket).
enum LaneHandoff {
    static let request = UInt8(ascii: "L")
    static let laneFollows = UInt8(ascii: "F")
    static let relayFollows = UInt8(ascii: "R")

    enum Answer {
        case lane(input: Int32, output: Int32, version: UInt16, peer: Hello)
        case relay
    }

    // MARK: The keeper's side

    /// Reads the client's request; false when it sent something else or nothing in time.
    static func readRequest(from client: Int32) -> Bool {
        var reader = ExactReader(fd: client, deadline: .now + .seconds(5))
        return (try? reader.bytes(1)) == [request]
    }

    /// Hands `lane` to the client. The keeper's copies of the descriptors are closed either way;
    /// false when the client could not take it (the lane is then ended).
    static func give(_ lane: SpareLane, to client: Int32) -> Bool {
        var details = ByteBuffer()
        details.writeInteger(lane.version)
        let hello = lane.peer.payload
        details.writeInteger(UInt32(hello.readableBytes))
        details.writeImmutableBuffer(hello)
        // One message: the client that takes the descriptors reads the details without waiting.
        let message = [laneFollows] + details.readableBytesView
        let given = (try? UnixSocket.send(descriptors: [lane.input, lane.output], over: client, bytes: message)) != nil
        if given { lane.closeDescriptors() } else { lane.discard() }
        return given
    }

    static func sayRelay(to client: Int32) -> Bool {
        var byte = relayFollows
        return write(client, &byte, 1) == 1
    }

    // MARK: The client's side

    /// Asks the keeper on `socket` (a connected descriptor) for a lane.
    static func ask(_ socket: Int32, timeout: Duration = .seconds(10)) throws -> Answer {
        var byte = request
        guard write(socket, &byte, 1) == 1 else { throw SystemError(errno: errno, "cannot ask the connection keeper") }
        var reader = ExactReader(fd: socket, deadline: .now + timeout)
        try reader.waitReadable()
        guard let (answer, descriptors) = UnixSocket.receive(over: socket, count: 2) else {
            throw ControllerError("the connection keeper closed the connection")
        }
        switch answer {
        case relayFollows where descriptors.isEmpty:
            return .relay
        case laneFollows where descriptors.count == 2:
            do {
                var details = ByteBuffer(bytes: try reader.bytes(6))
                let version = details.readInteger(as: UInt16.self)!
                let length = Int(details.readInteger(as: UInt32.self)!)
                guard length <= Frame.defaultMaximumPayload else { throw ControllerError("a lane's hello of \(length) bytes") }
                let peer = try Hello(payload: ByteBuffer(bytes: try reader.bytes(length)))
                return .lane(input: descriptors[0], output: descriptors[1], version: version, peer: peer)
            } catch {
                for fd in descriptors { close(fd) }
                throw error
            }
        default:
            for fd in descriptors { close(fd) }
            throw ControllerError("the connection keeper answered \(answer), not a lane or a relay (another build?)")
        }
    }
}
