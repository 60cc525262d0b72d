import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// `swiftlet-agent sftp-server`: an SFTP version 3 server on stdin and stdout, what scp, sftp
/// and VS Code use over ssh. The node needs no sshd and no sftp-server of its own: the
/// controller's `swiftlet proxy` runs this as the `sftp` subsystem through an exec stream. It
/// acts as the user it runs as, from the home directory, like OpenSSH's sftp-server.
struct SFTPServer {
    private var files: [String: Int32] = [:]
    private var directories: [String: OpaquePointer] = [:]
    private var nextHandle = 0
    private let input: Int32
    private let output: Int32

    init(input: Int32 = 0, output: Int32 = 1) {
        self.input = input
        self.output = output
    }

    static func run() -> Int32 {
        // Files made over SFTP get the modes an ssh session gives them, not the agent's private ones.
        umask(0o022)
        _ = chdir(Environment.home)
        var server = SFTPServer()
        return server.serve()
    }

    /// Serves until the client closes its end; 0 then, 1 on a malformed packet.
    mutating func serve() -> Int32 {
        defer { closeAll() }
        while let length = readExactly(4).map({ $0.reduce(0) { $0 << 8 | UInt32($1) } }) {
            guard length >= 1, length <= UInt32(SFTPMessage.maximumPacket), let body = readExactly(Int(length)) else { return 1 }
            var reader = SFTPReader(body)
            guard let type = reader.byte() else { return 1 }
            guard let kind = SFTPMessage.Kind(rawValue: type), kind != .initialize else {
                if type == SFTPMessage.Kind.initialize.rawValue {
                    var reply = SFTPWriter(.version)
                    reply.u32(3)
                    for (name, version) in [("posix-rename@openssh.com", "1"), ("fsync@openssh.com", "1"), ("hardlink@openssh.com", "1")]
                        + [("limits@openssh.com", "1"), ("expand-path@openssh.com", "1")]
                    {
                        reply.string(name)
                        reply.string(version)
                    }
                    send(reply)
                } else if let id = reader.u32() {
                    send(status(id, .unsupported, "unknown request type \(type)"))
                }
                continue
            }
            guard let id = reader.u32() else { return 1 }
            send(handle(kind, id: id, &reader))
        }
        return 0
    }

    // MARK: Requests

    private mutating func handle(_ kind: SFTPMessage.Kind, id: UInt32, _ reader: inout SFTPReader) -> SFTPWriter {
        switch kind {
        case .open:
            guard let path = reader.string(), let flags = reader.u32(), let attributes = reader.attributes() else { return bad(id) }
            var mode: Int32 = flags & 0x3 == 0x3 ? O_RDWR : flags & 0x2 != 0 ? O_WRONLY : O_RDONLY
            if flags & 0x4 != 0 { mode |= O_APPEND }
            if flags & 0x8 != 0 { mode |= O_CREAT }
            if flags & 0x10 != 0 { mode |= O_TRUNC }
            if flags & 0x20 != 0 { mode |= O_EXCL }
            let fd = Glibc.open(path, mode | O_CLOEXEC, mode_t(attributes.permissions ?? 0o666) & 0o7777)
            guard fd >= 0 else { return failure(id, errno, path) }
            return handleReply(id, store: .file(fd))
        case .close:
            guard let name = reader.string() else { return bad(id) }
            if let fd = files.removeValue(forKey: name) {
                return Glibc.close(fd) == 0 ? status(id, .ok) : failure(id, errno, "close")
            }
            if let directory = directories.removeValue(forKey: name) {
                closedir(directory)
                return status(id, .ok)
            }
            return status(id, .failure, "no such handle")
        case .read:
            guard let name = reader.string(), let offset = reader.u64(), let count = reader.u32(), let fd = files[name] else {
                return bad(id)
            }
            var buffer = [UInt8](repeating: 0, count: Int(min(count, 255 * 1024)))
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard got >= 0 else { return failure(id, errno, "read") }
            guard got > 0 else { return status(id, .endOfFile) }
            var reply = SFTPWriter(.data, id: id)
            reply.data(buffer[0..<got])
            return reply
        case .write:
            guard let name = reader.string(), let offset = reader.u64(), let bytes = reader.data(), let fd = files[name] else {
                return bad(id)
            }
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes {
                    pwrite(fd, $0.baseAddress! + written, $0.count - written, off_t(Int(offset) + written))
                }
                guard count > 0 else { return failure(id, errno, "write") }
                written += count
            }
            return status(id, .ok)
        case .stat, .lstat:
            guard let path = reader.string() else { return bad(id) }
            var info = stat()
            let result = kind == .stat ? Self.statFollowingLinks(path, &info) : lstat(path, &info)
            guard result == 0 else { return failure(id, errno, path) }
            return attributesReply(id, info)
        case .fstat:
            guard let name = reader.string(), let fd = files[name] else { return bad(id) }
            var info = stat()
            guard Glibc.fstat(fd, &info) == 0 else { return failure(id, errno, "fstat") }
            return attributesReply(id, info)
        case .setstat:
            guard let path = reader.string(), let attributes = reader.attributes() else { return bad(id) }
            return apply(attributes, id: id, path: path, fd: nil)
        case .fsetstat:
            guard let name = reader.string(), let attributes = reader.attributes(), let fd = files[name] else { return bad(id) }
            return apply(attributes, id: id, path: nil, fd: fd)
        case .opendir:
            guard let path = reader.string() else { return bad(id) }
            guard let directory = opendir(path) else { return failure(id, errno, path) }
            return handleReply(id, store: .directory(directory))
        case .readdir:
            guard let name = reader.string(), let directory = directories[name] else { return bad(id) }
            return readdirReply(id, directory)
        case .remove:
            guard let path = reader.string() else { return bad(id) }
            return unlink(path) == 0 ? status(id, .ok) : failure(id, errno, path)
        case .mkdir:
            guard let path = reader.string(), let attributes = reader.attributes() else { return bad(id) }
            return Glibc.mkdir(path, mode_t(attributes.permissions ?? 0o777) & 0o7777) == 0 ? status(id, .ok) : failure(id, errno, path)
        case .rmdir:
            guard let path = reader.string() else { return bad(id) }
            return Glibc.rmdir(path) == 0 ? status(id, .ok) : failure(id, errno, path)
        case .realpath:
            guard let path = reader.string() else { return bad(id) }
            return nameReply(id, Self.normalized(path.isEmpty ? "." : path))
        case .rename:
            // SFTP's rename refuses to replace, as OpenSSH's server does (posix-rename replaces).
            guard let old = reader.string(), let new = reader.string() else { return bad(id) }
            var existing = stat()
            guard lstat(new, &existing) != 0 else { return status(id, .failure, "\(new): the target exists") }
            return Glibc.rename(old, new) == 0 ? status(id, .ok) : failure(id, errno, old)
        case .readlink:
            guard let path = reader.string() else { return bad(id) }
            var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = Glibc.readlink(path, &target, target.count - 1)
            guard count >= 0 else { return failure(id, errno, path) }
            return nameReply(id, String(decoding: target[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        case .symlink:
            // OpenSSH sends the target first, then the link (the draft's order reversed).
            guard let target = reader.string(), let link = reader.string() else { return bad(id) }
            return Glibc.symlink(target, link) == 0 ? status(id, .ok) : failure(id, errno, link)
        case .extended:
            guard let request = reader.string() else { return bad(id) }
            return extended(request, id: id, &reader)
        default:
            return status(id, .unsupported, "not a request")
        }
    }

    private mutating func extended(_ request: String, id: UInt32, _ reader: inout SFTPReader) -> SFTPWriter {
        switch request {
        case "posix-rename@openssh.com":
            guard let old = reader.string(), let new = reader.string() else { return bad(id) }
            return Glibc.rename(old, new) == 0 ? status(id, .ok) : failure(id, errno, old)
        case "hardlink@openssh.com":
            guard let old = reader.string(), let new = reader.string() else { return bad(id) }
            return link(old, new) == 0 ? status(id, .ok) : failure(id, errno, new)
        case "fsync@openssh.com":
            guard let name = reader.string(), let fd = files[name] else { return bad(id) }
            return fsync(fd) == 0 ? status(id, .ok) : failure(id, errno, "fsync")
        case "limits@openssh.com":
            var reply = SFTPWriter(.extendedReply, id: id)
            reply.u64(UInt64(SFTPMessage.maximumPacket))
            reply.u64(255 * 1024)
            reply.u64(255 * 1024)
            reply.u64(512)
            return reply
        case "expand-path@openssh.com":
            guard let path = reader.string() else { return bad(id) }
            let home = Environment.home
            let expanded = path == "~" ? home : path.hasPrefix("~/") ? home + path.dropFirst(1) : path
            return nameReply(id, Self.normalized(expanded))
        default:
            return status(id, .unsupported, "\(request) is not supported")
        }
    }

    // MARK: Replies

    private enum Handle {
        case file(Int32)
        case directory(OpaquePointer)
    }

    private mutating func handleReply(_ id: UInt32, store handle: Handle) -> SFTPWriter {
        guard files.count + directories.count < 512 else {
            switch handle {
            case .file(let fd): Glibc.close(fd)
            case .directory(let directory): closedir(directory)
            }
            return status(id, .failure, "too many open handles")
        }
        nextHandle += 1
        let name = String(nextHandle)
        switch handle {
        case .file(let fd): files[name] = fd
        case .directory(let directory): directories[name] = directory
        }
        var reply = SFTPWriter(.handle, id: id)
        reply.string(name)
        return reply
    }

    private func attributesReply(_ id: UInt32, _ info: stat) -> SFTPWriter {
        var reply = SFTPWriter(.attributes, id: id)
        reply.attributes(Self.attributes(info))
        return reply
    }

    private func nameReply(_ id: UInt32, _ name: String) -> SFTPWriter {
        var reply = SFTPWriter(.name, id: id)
        reply.u32(1)
        reply.string(name)
        reply.string(name)
        reply.attributes(SFTPAttributes())
        return reply
    }

    private func readdirReply(_ id: UInt32, _ directory: OpaquePointer) -> SFTPWriter {
        var entries: [(String, stat)] = []
        let base = dirfd(directory)
        while entries.count < 100, let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            var info = stat()
            if fstatat(base, name, &info, AT_SYMLINK_NOFOLLOW) == 0 { entries.append((name, info)) }
        }
        guard !entries.isEmpty else { return status(id, .endOfFile) }
        var reply = SFTPWriter(.name, id: id)
        reply.u32(UInt32(entries.count))
        for (name, info) in entries {
            reply.string(name)
            reply.string(SFTPListing.longName(name, info))
            reply.attributes(Self.attributes(info))
        }
        return reply
    }

    private func apply(_ attributes: SFTPAttributes, id: UInt32, path: String?, fd: Int32?) -> SFTPWriter {
        let what = path ?? "file"
        if let size = attributes.size {
            guard (fd.map { ftruncate($0, off_t(size)) } ?? truncate(path!, off_t(size))) == 0 else { return failure(id, errno, what) }
        }
        if let permissions = attributes.permissions {
            let mode = mode_t(permissions & 0o7777)
            guard (fd.map { fchmod($0, mode) } ?? chmod(path!, mode)) == 0 else { return failure(id, errno, what) }
        }
        if let (uid, gid) = attributes.owner {
            guard (fd.map { fchown($0, uid, gid) } ?? chown(path!, uid, gid)) == 0 else { return failure(id, errno, what) }
        }
        if let (access, modification) = attributes.times {
            var times = [
                timespec(tv_sec: Int(access), tv_nsec: 0), timespec(tv_sec: Int(modification), tv_nsec: 0),
            ]
            guard (fd.map { futimens($0, &times) } ?? utimensat(AT_FDCWD, path!, &times, 0)) == 0 else { return failure(id, errno, what) }
        }
        return status(id, .ok)
    }

    private func status(_ id: UInt32, _ code: SFTPMessage.Status, _ message: String = "") -> SFTPWriter {
        var reply = SFTPWriter(.status, id: id)
        reply.u32(code.rawValue)
        reply.string(message.isEmpty ? (code == .ok ? "Success" : code == .endOfFile ? "End of file" : "Failure") : message)
        reply.string("")
        return reply
    }

    private func failure(_ id: UInt32, _ error: Int32, _ what: String) -> SFTPWriter {
        let code: SFTPMessage.Status =
            switch error {
            case ENOENT, ENOTDIR: .noSuchFile
            case EACCES, EPERM: .permissionDenied
            default: .failure
            }
        return status(id, code, "\(what): \(String(cString: strerror(error)))")
    }

    private func bad(_ id: UInt32) -> SFTPWriter { status(id, .badMessage, "bad message or unknown handle") }

    /// `stat(2)` (the type's name hides the function's).
    static func statFollowingLinks(_ path: String, _ info: inout stat) -> Int32 {
        stat(path, &info)
    }

    static func attributes(_ info: stat) -> SFTPAttributes {
        SFTPAttributes(
            size: UInt64(max(info.st_size, 0)),
            owner: (info.st_uid, info.st_gid),
            permissions: info.st_mode,
            times: (UInt32(truncatingIfNeeded: info.st_atim.tv_sec), UInt32(truncatingIfNeeded: info.st_mtim.tv_sec))
        )
    }

    /// `path` made absolute and without `.` or `..` (from the working directory, the home).
    static func normalized(_ path: String) -> String {
        var cwd = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let base = path.hasPrefix("/") ? "" : (getcwd(&cwd, cwd.count).map { String(cString: $0) } ?? Environment.home)
        var parts: [Substring] = []
        for part in (base + "/" + path).split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                _ = parts.popLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    // MARK: I/O

    private func readExactly(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress! + got, count - got) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            got += n
        }
        return bytes
    }

    private func send(_ writer: SFTPWriter) {
        let packet = writer.packet
        _ = packet.withUnsafeBytes { FileDescriptorIO.writeAll(output, $0) }
    }

    private mutating func closeAll() {
        for fd in files.values { Glibc.close(fd) }
        for directory in directories.values { closedir(directory) }
    }
}
