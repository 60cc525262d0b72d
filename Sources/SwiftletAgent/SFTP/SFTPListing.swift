#if canImport(Glibc)
    import Glibc
#endif

/// The `ls -l` line SFTP's `readdir` gives with each name (what `sftp`'s `ls -l` shows).
enum SFTPListing {
    static func longName(_ name: String, _ info: stat) -> String {
        let mode = info.st_mode
        let type: Character =
            switch mode & S_IFMT {
            case S_IFDIR: "d"
            case S_IFLNK: "l"
            case S_IFCHR: "c"
            case S_IFBLK: "b"
            case S_IFIFO: "p"
            case S_IFSOCK: "s"
            default: "-"
            }
        var permissions = String(type)
        for shift in [6, 3, 0] {
            let bits = (mode >> mode_t(shift)) & 7
            permissions += (bits & 4 != 0 ? "r" : "-") + (bits & 2 != 0 ? "w" : "-") + (bits & 1 != 0 ? "x" : "-")
        }
        var time = info.st_mtim.tv_sec
        var parts = tm()
        gmtime_r(&time, &parts)
        var date = [CChar](repeating: 0, count: 32)
        strftime(&date, date.count, "%b %e %H:%M", &parts)
        let size = String(info.st_size)
        let padded = String(repeating: " ", count: max(0, 8 - size.count)) + size
        return
            "\(permissions)    1 \(info.st_uid)     \(info.st_gid)     \(padded) \(String(decoding: date.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) \(name)"
    }
}
