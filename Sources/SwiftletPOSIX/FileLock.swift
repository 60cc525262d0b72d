#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on a file, held until ``release()`` or the process ends (the kernel
/// drops it when the process dies, so a crash never leaves it stale).
public final class FileLock: Sendable {
    private let fd: Int32

    /// Takes the lock without waiting; nil when another process holds it.
    public init?(path: String) throws(SystemError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot open \(path)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        self.fd = fd
    }

    public func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
