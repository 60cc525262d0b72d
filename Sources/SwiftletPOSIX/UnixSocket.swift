#if canImport(Glibc)
    import Glibc
#endif

/// Unix-domain stream sockets for local hand-offs (the controller's connection keeper).
public enum UnixSocket {
    /// Listens on `path` (replacing a stale socket file) with mode 0600.
    public static func listen(path: String) throws(SystemError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError(errno: errno, "cannot create a socket") }
        unlink(path)
        var address = try makeAddress(path)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(path, 0o600) == 0, Glibc.listen(fd, 64) == 0 else {
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
        var address = try makeAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
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

    private static func makeAddress(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SystemError(errno: ENAMETOOLONG, "socket path \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }
}

// Passing descriptors between processes (SCM_RIGHTS): the agent's relay hands its stdin and
// stdout to the daemon, which then reads and writes them itself.
extension UnixSocket {
    /// Sends one byte and `descriptors` over the connected socket `fd`.
    public static func send(descriptors: [Int32], over fd: Int32) throws(SystemError) {
        var byte: UInt8 = 0x46
        let dataBytes = descriptors.count * MemoryLayout<Int32>.size
        let header = MemoryLayout<cmsghdr>.size
        var control = [UInt8](repeating: 0, count: header + ((dataBytes + 7) & ~7))
        let sent = withUnsafeMutablePointer(to: &byte) { bytePointer in
            control.withUnsafeMutableBytes { raw in
                let message = raw.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                message.pointee.cmsg_len = header + dataBytes
                message.pointee.cmsg_level = SOL_SOCKET
                message.pointee.cmsg_type = Int32(SCM_RIGHTS)
                descriptors.withUnsafeBytes { (raw.baseAddress! + header).copyMemory(from: $0.baseAddress!, byteCount: dataBytes) }
                var vector = iovec(iov_base: bytePointer, iov_len: 1)
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
        guard sent == 1 else { throw SystemError(errno: errno, "cannot pass descriptors") }
    }

    /// Receives what ``send(descriptors:over:)`` sent (up to `count` descriptors, close-on-exec);
    /// empty when the peer closed or sent none.
    public static func receiveDescriptors(over fd: Int32, count: Int) -> [Int32] {
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
        guard received == 1, length >= header else { return [] }
        return control.withUnsafeBytes { raw in
            let message = raw.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
            guard message.pointee.cmsg_level == SOL_SOCKET, message.pointee.cmsg_type == Int32(SCM_RIGHTS) else { return [] }
            let found = (Int(message.pointee.cmsg_len) - header) / MemoryLayout<Int32>.size
            let descriptors = (0..<found).map { raw.load(fromByteOffset: header + $0 * MemoryLayout<Int32>.size, as: Int32.self) }
            for extra in descriptors.dropFirst(count) { close(extra) }
            return Array(descriptors.prefix(count))
        }
    }
}
