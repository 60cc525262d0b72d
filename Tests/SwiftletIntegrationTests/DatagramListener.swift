import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// A unix datagram socket a test listens on in the place of systemd's (sd_notify) or
/// journald's socket.
final class DatagramListener: Sendable {
    let path: String
    private let fd: Int32

    init?(path: String) {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { return nil }
    }

    deinit { close(fd) }

    /// The next datagram, or nil after `timeout` milliseconds without one; waited for on a
    /// thread of its own, never one of the (two) threads every test shares.
    func next(timeout: Int32 = 5000) async -> String? {
        await BlockingThread.value { self.nextBlocking(timeout: timeout) }
    }

    private func nextBlocking(timeout: Int32) -> String? {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, timeout) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 16384)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }
}
