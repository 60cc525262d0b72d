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
}
