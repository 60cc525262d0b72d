import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The agent's side of a ``FileSyncRequest``: says which files it needs, then writes the bytes
/// that follow into place, each through a temp file and a rename so no file is half-written.
enum FileReceiver {
    static func serve(_ request: ByteBuffer, on stream: MuxStream) async {
        do {
            let request = try FileSyncRequest(payload: request)
            let root = CommandLine.expand(request.destination, home: Environment.home)
            try FileSystem.createDirectories(root)
            let needed = request.entries.enumerated().filter { !isCurrent($0.element, root: root) }
            var answer = ByteBuffer()
            answer.writeInteger(UInt32(needed.count))
            for (index, _) in needed { answer.writeInteger(UInt32(index)) }
            try await stream.send(.data, answer)
            var writer = TreeWriter(root: root, files: needed.map(\.element))
            try writer.begin()
            for await inbound in stream.inboundPieces {
                if inbound.kind == .data {
                    try writer.write(inbound.payload)
                } else if inbound.kind == .eof {
                    try writer.finish()
                    try await stream.send(.exit, payload: ExitStatus(code: 0).payload)
                    return
                }
            }
            writer.abandon()
        } catch {
            let failure = StreamFailure(code: StreamFailure.Code.spawnFailed, message: "file sync: \(error)")
            try? await stream.send(.reset, payload: failure.payload)
        }
    }

    static func isCurrent(_ entry: FileSyncRequest.Entry, root: String) -> Bool {
        var info = stat()
        guard stat(root + "/" + entry.path, &info) == 0 else { return false }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return UInt64(info.st_size) == entry.size && modified == entry.modifiedNanoseconds
    }
}

/// Writes a sequence of files from one concatenated byte stream.
struct TreeWriter {
    let root: String
    let files: [FileSyncRequest.Entry]
    private var index = 0
    private var remaining: UInt64 = 0
    private var fd: Int32 = -1
    private var temporary = ""

    init(root: String, files: [FileSyncRequest.Entry]) {
        self.root = root
        self.files = files
    }

    mutating func begin() throws {
        try openNext()
    }

    mutating func write(_ buffer: ByteBuffer) throws {
        var buffer = buffer
        while buffer.readableBytes > 0 {
            guard fd >= 0 else { throw SystemError(errno: EINVAL, "more bytes than the files announced") }
            let count = Int(min(UInt64(buffer.readableBytes), remaining))
            let slice = buffer.readSlice(length: count)!
            guard slice.withUnsafeReadableBytes({ FileDescriptorIO.writeAll(fd, $0) }) else {
                throw SystemError(errno: errno, "cannot write \(files[index].path)")
            }
            remaining -= UInt64(count)
            if remaining == 0 { try closeCurrent() }
        }
    }

    mutating func finish() throws {
        guard fd < 0, index >= files.count else {
            abandon()
            throw SystemError(errno: EPIPE, "the controller stopped before sending every file")
        }
    }

    mutating func abandon() {
        if fd >= 0 {
            close(fd)
            unlink(temporary)
            fd = -1
        }
    }

    private mutating func openNext() throws {
        while index < files.count {
            let entry = files[index]
            let path = root + "/" + entry.path
            try FileSystem.createDirectories(FileSystem.parent(of: path))
            // Unique per agent: nodes on a shared file system (NFS homes) may write the same file.
            temporary = path + ".swiftlet-partial-\(getpid())"
            fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SystemError(errno: errno, "cannot create \(path)") }
            remaining = entry.size
            if remaining > 0 { return }
            try closeCurrent()
        }
    }

    private mutating func closeCurrent() throws {
        let entry = files[index]
        let path = root + "/" + entry.path
        fchmod(fd, mode_t(entry.mode & 0o7777))
        var times = [
            timespec(tv_sec: Int(entry.modifiedNanoseconds / 1_000_000_000), tv_nsec: Int(entry.modifiedNanoseconds % 1_000_000_000)),
            timespec(tv_sec: Int(entry.modifiedNanoseconds / 1_000_000_000), tv_nsec: Int(entry.modifiedNanoseconds % 1_000_000_000)),
        ]
        futimens(fd, &times)
        close(fd)
        fd = -1
        guard rename(temporary, path) == 0 else { throw SystemError(errno: errno, "cannot install \(path)") }
        index += 1
        try openNext()
    }
}
