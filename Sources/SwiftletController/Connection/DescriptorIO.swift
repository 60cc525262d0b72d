import NIOCore
import SwiftletPOSIX
import SwiftletProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Reads exactly what is asked from a descriptor, before a deadline.
struct ExactReader {
    let fd: Int32
    let deadline: ContinuousClock.Instant

    /// Reads up to and including the agent's preamble, one byte at a time so that nothing after
    /// it is taken. A bootstrap line means the agent is not installed: not a lane's job.
    mutating func skipToPreamble() throws {
        var scanner = PreambleScanner()
        var pending = ByteBuffer()
        while true {
            pending.writeBytes(try bytes(1))
            for event in try scanner.scan(&pending) {
                switch event {
                case .preambleFound: return
                case .bootstrapLine(let line): throw ControllerError("the bootstrap asked '\(line.verb)'; the agent is not installed")
                }
            }
        }
    }

    /// One whole frame.
    mutating func frame() throws -> Frame {
        var buffer = ByteBuffer(bytes: try bytes(4))
        let length = Int(buffer.getInteger(at: 0, as: UInt32.self)!)
        guard length >= Frame.headerBytesAfterLength, length <= Frame.defaultMaximumPayload else {
            throw ControllerError("a frame of \(length) bytes opened the agent's side")
        }
        buffer.writeBytes(try bytes(length))
        var decoder = FrameDecoder()
        return try decoder.decode(buffer: &buffer)!
    }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            try waitReadable()
            let got = result.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard got > 0 else { throw ControllerError("the other side closed after \(filled) of \(count) bytes") }
            filled += got
        }
        return result
    }
}

extension ExactReader {
    /// Returns once `fd` has something to read (or its end), or throws at the deadline.
    func waitReadable() throws {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw ControllerError("no answer in time") }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno != EINTR { throw SystemError(errno: errno, "poll") }
            if ready > 0 { return }
        }
    }
}
