#if canImport(Glibc)
    import Glibc
#endif

/// File operations the agent needs, without Foundation.
public enum FileSystem {
    /// `mkdir -p` with mode 0700 for what it creates.
    public static func createDirectories(_ path: String, mode: mode_t = 0o700) throws(SystemError) {
        guard !path.isEmpty, path != "/" else { return }
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw SystemError(errno: ENOTDIR, "cannot create \(path)") }
            return
        }
        try createDirectories(parent(of: path), mode: mode)
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw SystemError(errno: errno, "cannot create \(path)")
        }
    }

    /// The directory part of `path` (`/a/b` -> `/a`).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The names in directory `path` (without `.` and `..`); empty when it cannot be read. A
    /// name that is not UTF-8 comes with its bytes replaced: ``rawEntries(of:)`` has them as
    /// they are.
    public static func entries(of path: String) -> [String] {
        rawEntries(of: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The names in directory `path` as their bytes (without `.` and `..`).
    public static func rawEntries(of path: String) -> [[UInt8]] {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        return rawEntries(ofOpen: fd)
    }

    /// The names in the open directory `fd`, which it closes.
    private static func rawEntries(ofOpen fd: Int32) -> [[UInt8]] {
        guard let directory = fdopendir(fd) else {
            close(fd)
            return []
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name != [0x2e] && name != [0x2e, 0x2e] { names.append(name) }
        }
        return names
    }

    /// Removes `path` and everything under it, never following a link out of it, whatever bytes
    /// the names under it hold. True when nothing is left.
    @discardableResult
    public static func removeTree(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return errno == ENOENT }
        guard info.st_mode & S_IFMT == S_IFDIR else { return unlink(path) == 0 }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return false }
        removeContents(of: fd)
        close(fd)
        return rmdir(path) == 0
    }

    /// Removes what the open directory `directory` holds, by names relative to it.
    private static func removeContents(of directory: Int32) {
        let listing = dup(directory)
        guard listing >= 0 else { return }
        for name in rawEntries(ofOpen: listing) {
            let cName = name.map { CChar(bitPattern: $0) } + [0]
            var info = stat()
            guard fstatat(directory, cName, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                let child = openat(directory, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 {
                    removeContents(of: child)
                    close(child)
                }
                unlinkat(directory, cName, AT_REMOVEDIR)
            } else {
                unlinkat(directory, cName, 0)
            }
        }
    }

    /// A file's bytes, up to `limit` of them; nil when it cannot be opened or read.
    public static func bytes(of path: String, limit: Int = .max) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while bytes.count < limit {
            let wanted = min(chunk.count, limit - bytes.count)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, wanted) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return bytes
    }

    /// A small file's contents as text ("" when it cannot be read).
    public static func contents(of path: String, limit: Int = 64 * 1024) -> String {
        String(decoding: bytes(of: path, limit: limit) ?? [], as: UTF8.self)
    }
}
