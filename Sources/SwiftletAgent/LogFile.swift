import NIOCore
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// An append-only file that receives a process's output on the node, so it can be read back
/// after the connection that started it is gone.
final class LogFile: Sendable {
    /// Where the log stopped, and why: a write failed (the disk filled), so it keeps what came
    /// before, never a later piece after a gap.
    struct Cut: Sendable {
        var offset: UInt64
        var error: SystemError

        /// The cut a failed write to `fd` (the log at `path`) makes, `errno` still its: the log
        /// keeps what it holds.
        static func afterFailedWrite(to fd: Int32, path: String) -> Cut {
            let error = SystemError(errno: errno, "cannot write \(path)")
            var info = stat()
            return Cut(offset: fstat(fd, &info) == 0 ? UInt64(info.st_size) : 0, error: error)
        }
    }

    private let state: Locked<(fd: Int32, cut: Cut?)>
    private let path: String

    init(path: String) throws(SystemError) {
        try FileSystem.createDirectories(FileSystem.parent(of: path))
        // A job id is used once per cluster; a file left by a cluster of the same name that was torn
        // down is replaced.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot open log file \(path)") }
        self.path = path
        state = Locked((fd, nil))
    }

    /// Appends `buffer`, unless the log was cut: a failed write cuts it where it stands (the
    /// stream still reaches a controller that is attached).
    func append(_ buffer: ByteBuffer) {
        state.withLock { state in
            guard state.fd >= 0, state.cut == nil else { return }
            guard !buffer.withUnsafeReadableBytes({ FileDescriptorIO.writeAll(state.fd, $0) }) else { return }
            state.cut = .afterFailedWrite(to: state.fd, path: path)
        }
    }

    /// Where the log was cut, if it was.
    var cut: Cut? { state.withLock { $0.cut } }

    func close() {
        state.withLock { state in
            if state.fd >= 0 { Glibc.close(state.fd) }
            state.fd = -1
        }
    }
}
