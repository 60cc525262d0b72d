#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on a file, held until ``release()`` or the process ends (the kernel
/// drops it when the process dies, so a crash never leaves it stale).
public final class FileLock: Sendable {
    private let fd: Int32

    /// Takes the lock without waiting; nil when another process holds it.
    public init?(path: String) throws(SystemError) {
        let fd = try Self.open(path)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    /// Takes the lock, waiting while another process holds it.
    public init(waitingOn path: String) throws(SystemError) {
        let fd = try Self.open(path)
        var result: Int32
        repeat { result = flock(fd, LOCK_EX) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let error = SystemError(errno: errno, "cannot lock \(path)")
            close(fd)
            throw error
        }
        self.fd = fd
    }

    private static func open(_ path: String) throws(SystemError) -> Int32 {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot open \(path)") }
        return fd
    }

    public func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
