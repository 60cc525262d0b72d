#if canImport(Glibc)
    import Glibc
#endif

/// Whole writes to a descriptor, however many `write` calls they take.
public enum FileDescriptorIO {
    /// Writes all of `bytes` to `fd`, retrying after signals. False on an error (errno then says
    /// which; `EAGAIN` on a non-blocking descriptor that is full counts as one) or when nothing
    /// more can be written.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
