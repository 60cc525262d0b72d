#if canImport(Glibc)
    import Glibc
#endif

/// The kernel buffer of a pipe: 64 KiB by default, which a fast writer fills in a fraction of
/// a millisecond. A larger one lets the reader take what arrived in fewer, larger reads.
public enum PipeCapacity {
    /// What Linux lets any user ask for (`/proc/sys/fs/pipe-max-size`).
    public static let large = 1 << 20

    /// Asks for a buffer of `bytes` on the pipe `fd` (either end); false where the kernel
    /// refuses (not a pipe, or over the limit), which only costs speed.
    @discardableResult
    public static func grow(_ fd: Int32, to bytes: Int = large) -> Bool {
        fcntl(fd, setPipeSize, Int32(bytes)) >= 0
    }

    /// F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7), not exported without _GNU_SOURCE.
    private static let setPipeSize: Int32 = 1031
}
