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

    /// The names in directory `path` (without `.` and `..`); empty when it cannot be read.
    public static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes `path` and everything under it, never following a link out of it. True when
    /// nothing is left.
    @discardableResult
    public static func removeTree(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return errno == ENOENT }
        if info.st_mode & S_IFMT == S_IFDIR {
            for name in entries(of: path) { removeTree(path + "/" + name) }
            return rmdir(path) == 0
        }
        return unlink(path) == 0
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
