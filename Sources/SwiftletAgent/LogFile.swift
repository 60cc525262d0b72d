import NIOCore
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// An append-only file that receives a process's output on the node, so it can be read back
/// after the connection that started it is gone.
final class LogFile: @unchecked Sendable {
    private let lock = Lock()
    private var fd: Int32

    init(path: String) throws(SystemError) {
        try FileSystem.createDirectories(FileSystem.parent(of: path))
        // A job id is used once per cluster; a file left by a cluster of the same name that was torn
        // down is replaced.
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot open log file \(path)") }
    }

    func append(_ buffer: ByteBuffer) {
        lock.withLock {
            guard fd >= 0 else { return }
            // A disk that is full loses the log's rest; the stream still reaches the controller.
            _ = buffer.withUnsafeReadableBytes { FileDescriptorIO.writeAll(fd, $0) }
        }
    }

    func close() {
        lock.withLock {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }
}
