import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport

/// Copies a local directory to a node through the agent (no rsync or scp on the node), sending
/// only files whose size or modification time changed since the last sync.
public enum FileSync {
    /// What a sync did, for progress and tests.
    public struct Summary: Sendable, Equatable {
        public var files: Int
        public var sent: Int
        public var bytes: UInt64
        /// What could not be sent, relative to the synced directory.
        public var skipped: [Skipped] = []
    }

    /// A path a sync could not send, and why.
    public struct Skipped: Sendable, Equatable {
        public enum Reason: String, Sendable {
            case notAFile = "neither a file, a directory nor a link"
            case nameNotText = "the name is not UTF-8 text"
        }

        /// The path, its bytes escaped where they are not text.
        public var path: String
        public var reason: Reason
    }

    /// Copies the tree under `localDirectory` to `destination` on the node.
    @discardableResult
    public static func sync(localDirectory: String, to destination: String, on session: NodeSession) async throws -> Summary {
        let root = URL(fileURLWithPath: expandTilde(localDirectory)).standardizedFileURL.path
        let (entries, skipped) = try manifest(of: root)
        let files = entries.map { (entry: $0, source: root + "/" + $0.path) }
        var summary = try await send(files, to: destination, on: session, step: "workdir sync")
        summary.skipped = skipped
        return summary
    }

    /// Copies one local file or directory to `target` on the node (a file mount).
    @discardableResult
    public static func mount(local: String, at target: String, on session: NodeSession) async throws -> Summary {
        let source = URL(fileURLWithPath: expandTilde(local)).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw ControllerError("file_mounts: \(local) (for \(target)) does not exist")
        }
        if isDirectory.boolValue {
            let (entries, skipped) = try manifest(of: source)
            let files = entries.map { (entry: $0, source: source + "/" + $0.path) }
            var summary = try await send(files, to: target, on: session, step: "file mount \(target)")
            summary.skipped = skipped
            return summary
        }
        var info = stat()
        guard stat(source, &info) == 0 else { throw ControllerError("file_mounts: cannot read \(source)") }
        let name = target.split(separator: "/").last.map(String.init) ?? "file"
        let entry = FileSyncRequest.Entry(
            path: name,
            size: UInt64(info.st_size),
            modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            mode: UInt32(info.st_mode & 0o7777)
        )
        let directory = target.contains("/") ? String(target[..<target.lastIndex(of: "/")!]) : "~"
        return try await send([(entry, source)], to: directory.isEmpty ? "/" : directory, on: session, step: "file mount \(target)")
    }

    private static func send(
        _ files: [(entry: FileSyncRequest.Entry, source: String)],
        to destination: String,
        on session: NodeSession,
        step: String
    ) async throws -> Summary {
        let entries = files.map(\.entry)
        let stream = try await session.connection.openStream(
            .sync,
            request: FileSyncRequest(destination: destination, entries: entries).payload
        )
        var inbound = stream.inbound
        guard let answer = await inbound.next() else {
            throw NodeError(node: session.name, step: step, "the connection was lost")
        }
        if answer.kind == .reset {
            throw NodeError(node: session.name, step: step, (try? StreamFailure(payload: answer.payload).message) ?? "failed")
        }
        var reader = answer.payload
        let count = reader.readInteger(as: UInt32.self) ?? 0
        let needed = (0..<count).compactMap { _ in reader.readInteger(as: UInt32.self) }.map { files[Int($0)] }
        var bytes: UInt64 = 0
        for (entry, path) in needed {
            if entry.isSymbolicLink {
                try await stream.send(.data, ByteBuffer(bytes: try linkTarget(path)))
                bytes += entry.size
                continue
            }
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw NodeError(node: session.name, step: step, "cannot read \(path)")
            }
            defer { try? handle.close() }
            var left = entry.size
            while left > 0 {
                let chunk = try handle.read(upToCount: Int(min(left, 256 * 1024))) ?? Data()
                guard !chunk.isEmpty else {
                    throw NodeError(node: session.name, step: step, "\(path) shrank while it was being sent")
                }
                try await stream.send(.data, ByteBuffer(bytes: chunk))
                left -= UInt64(chunk.count)
            }
            bytes += entry.size
        }
        try await stream.send(.eof)
        while let frame = await inbound.next() {
            if frame.kind == .exit { return Summary(files: entries.count, sent: needed.count, bytes: bytes) }
            if frame.kind == .reset {
                throw NodeError(node: session.name, step: step, (try? StreamFailure(payload: frame.payload).message) ?? "failed")
            }
        }
        throw NodeError(node: session.name, step: step, "the connection was lost")
    }

    /// What a sync sends: what ``SyncIgnore`` does not leave out (`.skyignore`, else
    /// `.gitignore`, as SkyPilot's rsync): regular files with their sizes, times and modes, and symbolic links
    /// as links (their target is their content, as `rsync -a` keeps them: a link to a file outside
    /// the workdir never uploads that file). What is under a linked directory is the link's, not
    /// sent. FIFOs, sockets and devices cannot be sent, nor names that are not UTF-8 (the wire
    /// carries paths as text): they are listed in `skipped`, never dropped silently.
    static func manifest(of root: String) throws -> (entries: [FileSyncRequest.Entry], skipped: [Skipped]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ControllerError("workdir \(root) is not a directory")
        }
        var entries: [FileSyncRequest.Entry] = []
        var skipped: [Skipped] = []
        let ignore = SyncIgnore(topHasSkyignore: FileManager.default.fileExists(atPath: root + "/.skyignore"))
        let topRules =
            ignore.fileName == ".gitignore" ? SyncIgnore.rules(FileSystem.contents(of: root + "/.git/info/exclude"), base: "") : []
        func walk(_ relative: String, _ inherited: [SyncIgnore.Rule]) throws {
            let directory = relative.isEmpty ? root : root + "/" + relative
            let rules =
                inherited + SyncIgnore.rules(FileSystem.contents(of: directory + "/" + ignore.fileName, limit: 1 << 20), base: relative)
            for name in FileSystem.rawEntries(of: directory) {
                let prefix = relative.isEmpty ? "" : relative + "/"
                guard let text = String(validating: name, as: UTF8.self) else {
                    skipped.append(Skipped(path: prefix + ByteEscaping.escaped(name), reason: .nameNotText))
                    continue
                }
                let path = prefix + text
                var info = stat()
                guard lstat(root + "/" + path, &info) == 0 else { continue }  // gone meanwhile
                if SyncIgnore.excludes(path, isDirectory: info.st_mode & S_IFMT == S_IFDIR, by: rules) { continue }
                let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
                switch info.st_mode & S_IFMT {
                case S_IFREG:
                    let mode = UInt32(info.st_mode & 0o7777)
                    entries.append(.init(path: path, size: UInt64(info.st_size), modifiedNanoseconds: modified, mode: mode))
                case S_IFLNK:
                    let target = try linkTarget(root + "/" + path)
                    let mode = FileSyncRequest.Entry.symbolicLink
                    entries.append(.init(path: path, size: UInt64(target.count), modifiedNanoseconds: modified, mode: mode))
                case S_IFDIR:
                    try walk(path, rules)
                default:
                    skipped.append(Skipped(path: path, reason: .notAFile))
                }
            }
        }
        try walk("", topRules)
        return (entries.sorted { $0.path < $1.path }, skipped.sorted { $0.path < $1.path })
    }

    /// The bytes a symbolic link holds.
    static func linkTarget(_ path: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let count = buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { readlink(path, $0.baseAddress!, $0.count) }
        }
        guard count > 0 else { throw ControllerError("cannot read the link \(path)") }
        return Array(buffer[0..<count])
    }
}
