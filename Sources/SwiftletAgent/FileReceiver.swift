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

    /// Whether the node's copy is the same kind of thing (a file, or a link) of the same size and
    /// time: read without following a link, so a link is never taken for its target.
    static func isCurrent(_ entry: FileSyncRequest.Entry, root: String) -> Bool {
        var info = stat()
        guard lstat(root + "/" + entry.path, &info) == 0 else { return false }
        let isLink = info.st_mode & S_IFMT == S_IFLNK
        guard isLink == entry.isSymbolicLink, isLink || info.st_mode & S_IFMT == S_IFREG else { return false }
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
    /// The target of the link being received, when the current entry is a link.
    private var linkTarget: [UInt8]?

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
            guard fd >= 0 || linkTarget != nil else { throw SystemError(errno: EINVAL, "more bytes than the files announced") }
            let count = Int(min(UInt64(buffer.readableBytes), remaining))
            let slice = buffer.readSlice(length: count)!
            if linkTarget != nil {
                linkTarget! += slice.readableBytesView
            } else if !slice.withUnsafeReadableBytes({ Self.writeLeavingHoles(fd, $0) }) {
                throw SystemError(errno: errno, "cannot write \(files[index].path)")
            }
            remaining -= UInt64(count)
            if remaining == 0 { try closeCurrent() }
        }
    }

    mutating func finish() throws {
        guard fd < 0, linkTarget == nil, index >= files.count else {
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
        linkTarget = nil
    }

    private mutating func openNext() throws {
        while index < files.count {
            let entry = files[index]
            let path = root + "/" + entry.path
            try realDirectories(to: FileSystem.parent(of: entry.path))
            // Unique per agent: nodes on a shared file system (NFS homes) may write the same file.
            temporary = path + ".swiftlet-partial-\(getpid())"
            unlink(temporary)
            remaining = entry.size
            if entry.isSymbolicLink {
                guard (1...4096).contains(entry.size) else {
                    throw SystemError(errno: EINVAL, "\(entry.path): a link of \(entry.size) bytes")
                }
                linkTarget = []
                return
            }
            // Never through a link someone left at the temporary name.
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw SystemError(errno: errno, "cannot create \(path)") }
            if remaining > 0 { return }
            try closeCurrent()
        }
    }

    /// Creates the directories of `relative` under the root as real directories: a link the node
    /// has where the tree has a directory is replaced, never followed (a file written through it
    /// would land outside the destination).
    private func realDirectories(to relative: String) throws {
        var path = root
        for component in relative.split(separator: "/") where relative != "." && !relative.isEmpty {
            path += "/" + component
            var info = stat()
            if lstat(path, &info) == 0 {
                if info.st_mode & S_IFMT == S_IFDIR { continue }
                unlink(path)
            }
            if mkdir(path, 0o700) != 0 && errno != EEXIST { throw SystemError(errno: errno, "cannot create \(path)") }
        }
    }

    /// Writes `bytes` at the file's offset, but seeks past every block of zeros instead of
    /// writing it, so a sparse file stays sparse on the node (as `rsync --sparse` and `cp` keep it).
    static func writeLeavingHoles(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let block = holeBlock.count
        var start = 0
        var pending = 0..<0  // data not yet written, to write in one call
        func flush() -> Bool {
            defer { pending = pending.upperBound..<pending.upperBound }
            return pending.isEmpty || FileDescriptorIO.writeAll(fd, UnsafeRawBufferPointer(rebasing: bytes[pending]))
        }
        while start < bytes.count {
            let end = min(start + block, bytes.count)
            // Zeros skipped read back as zeros, whole block or not: only blocks written take disk.
            let isHole = holeBlock.withUnsafeBytes { memcmp(bytes.baseAddress! + start, $0.baseAddress!, end - start) == 0 }
            if isHole {
                guard flush(), lseek(fd, off_t(end - start), SEEK_CUR) >= 0 else { return false }
                pending = end..<end
            } else {
                pending = pending.lowerBound..<end
            }
            start = end
        }
        return flush()
    }

    private static let holeBlock = [UInt8](repeating: 0, count: 4096)

    private mutating func closeCurrent() throws {
        let entry = files[index]
        let path = root + "/" + entry.path
        var times = [
            timespec(tv_sec: Int(entry.modifiedNanoseconds / 1_000_000_000), tv_nsec: Int(entry.modifiedNanoseconds % 1_000_000_000)),
            timespec(tv_sec: Int(entry.modifiedNanoseconds / 1_000_000_000), tv_nsec: Int(entry.modifiedNanoseconds % 1_000_000_000)),
        ]
        if let target = linkTarget {
            linkTarget = nil
            let made = (target + [0]).withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { symlink($0.baseAddress!, temporary) }
            }
            guard made == 0 else {
                throw SystemError(errno: errno, "cannot create the link \(path)")
            }
            utimensat(AT_FDCWD, temporary, &times, AT_SYMLINK_NOFOLLOW)
        } else {
            // A file that ends in a hole gets its length here: the hole was skipped, not written.
            guard ftruncate(fd, off_t(entry.size)) == 0 else { throw SystemError(errno: errno, "cannot write \(path)") }
            fchmod(fd, mode_t(entry.mode & 0o7777))
            futimens(fd, &times)
            close(fd)
            fd = -1
        }
        // A directory the tree now has as a file or a link goes first (rename cannot replace it).
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { _ = rmdir(path) }
        guard rename(temporary, path) == 0 else { throw SystemError(errno: errno, "cannot install \(path)") }
        index += 1
        try openNext()
    }
}
