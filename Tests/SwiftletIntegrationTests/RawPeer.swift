import Dispatch
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
    /// Serial, so bytes arrive in the order the test sent them.
    private let writer = DispatchQueue(label: "RawPeer.writer")

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

    /// Writes on a Dispatch thread, since a pipe holds only 64 KiB until the other side reads.
    func send(_ bytes: [UInt8]) {
        let fd = ourWrite
        writer.async {
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Returns once everything sent so far has been read by the other side (the pipe is empty),
    /// or after `patience`.
    func waitUntilRead(patience: Duration = .seconds(30)) async throws {
        writer.sync {}
        let deadline = ContinuousClock.now + patience
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
