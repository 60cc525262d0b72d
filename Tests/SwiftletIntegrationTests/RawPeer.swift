import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The far end of a pipe pair, driven byte by byte by a test: it can send anything, well
/// formed or not, and read back what the other side wrote.
final class RawPeer: @unchecked Sendable {
    /// The side under test reads this descriptor...
    let theirInput: Int32
    /// ...and writes this one.
    let theirOutput: Int32
    private let ourWrite: Int32
    private let ourRead: Int32
    /// What is still to be written, in the order the test sent it, and whether a thread is
    /// writing it (a pipe holds only 64 KiB until the other side reads).
    private let outbox = Locked<(chunks: [[UInt8]], writing: Bool)>(([], false))

    init() {
        var toThem: [Int32] = [-1, -1]
        var fromThem: [Int32] = [-1, -1]
        pipe(&toThem)
        pipe(&fromThem)
        theirInput = toThem[0]
        ourWrite = toThem[1]
        ourRead = fromThem[0]
        theirOutput = fromThem[1]
        _ = fcntl(ourWrite, F_SETFD, FD_CLOEXEC)
        _ = fcntl(ourRead, F_SETFD, FD_CLOEXEC)
    }

    /// Queues `bytes` for a writer thread of its own.
    func send(_ bytes: [UInt8]) {
        let startsWriter = outbox.withLock { box -> Bool in
            box.chunks.append(bytes)
            defer { box.writing = true }
            return !box.writing
        }
        if startsWriter { BlockingThread.start { self.writeOut() } }
    }

    /// Writes what was sent until nothing is left; a failed write drops the rest.
    private func writeOut() {
        while let chunk = outbox.withLock({ box -> [UInt8]? in
            guard !box.chunks.isEmpty else {
                box.writing = false
                return nil
            }
            return box.chunks.removeFirst()
        }) {
            var offset = 0
            while offset < chunk.count {
                let written = chunk.withUnsafeBytes { write(ourWrite, $0.baseAddress! + offset, chunk.count - offset) }
                guard written > 0 else {
                    outbox.withLock { $0.chunks.removeAll() }
                    break
                }
                offset += written
            }
        }
    }

    /// Returns once everything sent so far has been read by the other side (the pipe is empty),
    /// or after `patience`.
    func waitUntilRead(patience: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + patience
        while outbox.withLock({ $0.writing }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        var unread: Int32 = 1
        while ioctl(ourWrite, UInt(FIONREAD), &unread) == 0, unread > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func send(_ frame: Frame) {
        var buffer = ByteBuffer()
        buffer.writeFrame(frame)
        send(Array(buffer.readableBytesView))
    }

    func sendPreambleAndHello(role: String = "agent") {
        send(Preamble.bytes)
        send(
            Frame(kind: .hello, payload: Hello(role: role, buildID: String(repeating: "0", count: 64), os: "linux", arch: "x86_64").payload)
        )
    }

    func closeOurWriteEnd() { close(ourWrite) }

    /// Reads until the other side closes its output, then returns the frames after its preamble.
    func readFramesUntilClosed() async -> [Frame] {
        let fd = ourRead
        let bytes: [UInt8] = await BlockingThread.value {
            var all: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count <= 0 { break }
                all += chunk[0..<count]
            }
            return all
        }
        var buffer = ByteBuffer(bytes: bytes)
        var scanner = PreambleScanner()
        guard (try? scanner.scan(&buffer))?.contains(.preambleFound) == true else { return [] }
        var decoder = FrameDecoder()
        var frames: [Frame] = []
        while let frame = try? decoder.decode(buffer: &buffer) { frames.append(frame) }
        return frames
    }
}

/// Accepts any bootstrap line, so a controller-side connection can be tested without a snippet.
struct NoBootstrap: BootstrapResponder {
    func respond(to line: BootstrapLine) throws -> ByteBuffer? { nil }
}
