#if canImport(Glibc)
    import Glibc
#endif

/// Unix-domain stream sockets for local hand-offs (the controller's connection keeper).
public enum UnixSocket {
    /// Listens on `path` (replacing a stale socket file) with mode 0600.
    public static func listen(path: String) throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot create a socket") }
        let bound = try withAddress(path) { address, short in
            unlink(short)
            return bind(fd, address, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 && chmod(short, 0o600) == 0
        }
        guard bound, Glibc.listen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw SystemError(errno: code, "cannot listen on \(path)")
        }
        return fd
    }

    /// Connects to `path`; the caller owns the returned descriptor.
    public static func connect(path: String) throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot create a socket") }
        let connected = try withAddress(path) { address, _ in
            Glibc.connect(fd, address, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
        }
        guard connected else {
            let code = errno
            close(fd)
            throw SystemError(errno: code, "cannot connect to \(path)")
        }
        return fd
    }

    /// Blocks until a client connects; returns its descriptor.
    public static func accept(_ listener: Int32) throws(SystemError) -> Int32 {
        while true {
            let fd = Glibc.accept(listener, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                return fd
            }
            if errno != EINTR { throw SystemError(errno: errno, "accept failed") }
        }
    }

    /// Calls `body` with an address for `path` and the path it names. `sockaddr_un` holds 108
    /// bytes; a longer path (a deep home) is reached through `/proc/self/fd/N/NAME`, N being its
    /// directory opened for the call.
    private static func withAddress(
        _ path: String,
        _ body: (UnsafePointer<sockaddr>, String) -> Bool
    ) throws(SystemError) -> Bool {
        var directory: Int32 = -1
        var short = path
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        if path.utf8.count >= capacity {
            directory = open(FileSystem.parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directory >= 0 else { throw SystemError(errno: errno, "cannot open the directory of \(path)") }
            short = "/proc/self/fd/\(directory)/" + (path.split(separator: "/").last.map(String.init) ?? "")
        }
        defer { if directory >= 0 { close(directory) } }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(short.utf8)
        guard bytes.count < capacity else { throw SystemError(errno: ENAMETOOLONG, "socket path \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, short) }
        }
    }
}

// Passing descriptors between processes (SCM_RIGHTS): the agent's relay hands its stdin and
// stdout to the daemon, which then reads and writes them itself.
extension UnixSocket {
    /// Sends one byte and `descriptors` over the connected socket `fd`.
    public static func send(descriptors: [Int32], over fd: Int32, byte: UInt8 = 0x46) throws(SystemError) {
        try send(descriptors: descriptors, over: fd, bytes: [byte])
    }

    /// Sends `bytes` (at least one) with `descriptors` attached to the first, in one message, so
    /// a receiver that takes the descriptors finds the rest already waiting.
    public static func send(descriptors: [Int32], over fd: Int32, bytes: [UInt8]) throws(SystemError) {
        precondition(!bytes.isEmpty, "descriptors travel with at least one byte")
        var bytes = bytes
        let dataBytes = descriptors.count * MemoryLayout<Int32>.size
        let header = MemoryLayout<cmsghdr>.size
        var control = [UInt8](repeating: 0, count: header + ((dataBytes + 7) & ~7))
        let count = bytes.count
        let sent = bytes.withUnsafeMutableBytes { payload in
            control.withUnsafeMutableBytes { raw in
                let message = raw.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                message.pointee.cmsg_len = header + dataBytes
                message.pointee.cmsg_level = SOL_SOCKET
                message.pointee.cmsg_type = Int32(SCM_RIGHTS)
                descriptors.withUnsafeBytes { (raw.baseAddress! + header).copyMemory(from: $0.baseAddress!, byteCount: dataBytes) }
                var vector = iovec(iov_base: payload.baseAddress, iov_len: count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var header = msghdr()
                    header.msg_iov = vectorPointer
                    header.msg_iovlen = 1
                    header.msg_control = raw.baseAddress
                    header.msg_controllen = raw.count
                    return sendmsg(fd, &header, Int32(MSG_NOSIGNAL))
                }
            }
        }
        guard sent == count else { throw SystemError(errno: errno, "cannot pass descriptors") }
    }

    /// Receives what ``send(descriptors:over:byte:)`` sent (up to `count` descriptors,
    /// close-on-exec); empty when the peer closed or sent none.
    public static func receiveDescriptors(over fd: Int32, count: Int) -> [Int32] {
        receive(over: fd, count: count)?.descriptors ?? []
    }

    /// Receives one byte and the descriptors that came with it (up to `count`, close-on-exec);
    /// nil when the peer closed.
    public static func receive(over fd: Int32, count: Int) -> (byte: UInt8, descriptors: [Int32])? {
        var byte: UInt8 = 0
        let dataBytes = count * MemoryLayout<Int32>.size
        let header = MemoryLayout<cmsghdr>.size
        var control = [UInt8](repeating: 0, count: header + ((dataBytes + 7) & ~7))
        let (received, length) = withUnsafeMutablePointer(to: &byte) { bytePointer in
            control.withUnsafeMutableBytes { raw in
                var vector = iovec(iov_base: bytePointer, iov_len: 1)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = raw.baseAddress
                    message.msg_controllen = raw.count
                    var result: Int
                    repeat { result = recvmsg(fd, &message, Int32(MSG_CMSG_CLOEXEC)) } while result < 0 && errno == EINTR
                    return (result, message.msg_controllen)
                }
            }
        }
        guard received == 1 else { return nil }
        guard length >= header else { return (byte, []) }
        let descriptors = control.withUnsafeBytes { raw -> [Int32] in
            let message = raw.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
            guard message.pointee.cmsg_level == SOL_SOCKET, message.pointee.cmsg_type == Int32(SCM_RIGHTS) else { return [] }
            let found = (Int(message.pointee.cmsg_len) - header) / MemoryLayout<Int32>.size
            let descriptors = (0..<found).map { raw.load(fromByteOffset: header + $0 * MemoryLayout<Int32>.size, as: Int32.self) }
            for extra in descriptors.dropFirst(count) { close(extra) }
            return Array(descriptors.prefix(count))
        }
        return (byte, descriptors)
    }
}
