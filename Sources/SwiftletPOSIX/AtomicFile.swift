#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a file's contents all at once: readers see the old file or the new one, never a
/// half-written one, even if the writer dies midway.
public enum AtomicFile {
    /// Writes `bytes` to `path` through a temporary file and a rename. With `durable`, the data
    /// and the rename reach the disk (fsync of the file, then of its directory) before it returns,
    /// so a crash or power loss right after leaves the new contents, not an empty file.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600, durable: Bool = false) throws(SystemError) {
        let temporary = path + ".tmp-\(getpid())-\(counter.next())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot create \(temporary)") }
        guard bytes.withUnsafeBytes({ FileDescriptorIO.writeAll(fd, $0) }) else {
            let code = errno
            close(fd)
            unlink(temporary)
            throw SystemError(errno: code, "cannot write \(temporary)")
        }
        if durable && fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw SystemError(errno: code, "cannot sync \(temporary)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw SystemError(errno: code, "cannot replace \(path)")
        }
        if durable {
            let directory = open(FileSystem.parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        }
    }

    /// ``write(_:to:mode:durable:)``, or, when the disk is full and `path` exists,
    /// ``overwrite(_:at:)``: a small record that already has its block can still change.
    public static func replace(_ bytes: [UInt8], at path: String, durable: Bool = false) throws(SystemError) {
        do {
            try write(bytes, to: path, durable: durable)
        } catch {
            guard [ENOSPC, EDQUOT].contains(error.errno), access(path, F_OK) == 0 else { throw error }
            try overwrite(bytes, at: path)
        }
    }

    /// Rewrites the existing file `path` in place: the way to change a small record when the
    /// disk is full, since contents that fit in the blocks the file already has need no new one
    /// (``write(_:to:mode:durable:)`` needs a whole new file). Not atomic: a crash midway may
    /// tear it, so it is only the fallback.
    public static func overwrite(_ bytes: [UInt8], at path: String) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot open \(path)") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { raw in raw.isEmpty ? 0 : pwrite(fd, raw.baseAddress!, raw.count, 0) }
        guard written == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0 else {
            throw SystemError(errno: errno, "cannot rewrite \(path)")
        }
    }

    /// Makes what was written to `path` durable: syncs the file, then its directory (the rename).
    public static func sync(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        let directory = open(FileSystem.parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    private static let counter = Counter()

    private final class Counter: @unchecked Sendable {
        private let lock = Lock()
        private var value = 0
        func next() -> Int {
            lock.withLock {
                value += 1; return value
            }
        }
    }
}

/// Timestamps in UTC, formatted without Foundation's formatters (which cost a millisecond to
/// set up, a noticeable share of a warm command).
public enum UTCTime {
    /// `2026-11-22T18:06:41Z`.
    /// Seconds since the epoch.
    public static var now: Int { Int(time(nil)) }

    public static func iso8601(secondsSinceEpoch: Int) -> String {
        let parts = components(secondsSinceEpoch)
        return
            "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2))Z"
    }

    /// Calendar fields of a UTC time.
    public static func components(_ secondsSinceEpoch: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var time = time_t(secondsSinceEpoch)
        var fields = tm()
        gmtime_r(&time, &fields)
        return (
            Int(fields.tm_year) + 1900, Int(fields.tm_mon) + 1, Int(fields.tm_mday), Int(fields.tm_hour), Int(fields.tm_min),
            Int(fields.tm_sec)
        )
    }

    public static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
