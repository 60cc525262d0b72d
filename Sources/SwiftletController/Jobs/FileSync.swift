import Foundation
import NIOCore
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
    }

    /// Copies the tree under `localDirectory` to `destination` on the node.
    @discardableResult
    public static func sync(localDirectory: String, to destination: String, on session: NodeSession) async throws -> Summary {
        let root = URL(fileURLWithPath: expandTilde(localDirectory)).standardizedFileURL.path
        let files = try manifest(of: root).map { (entry: $0, source: root + "/" + $0.path) }
        return try await send(files, to: destination, on: session, step: "workdir sync")
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
            let files = try manifest(of: source).map { (entry: $0, source: source + "/" + $0.path) }
            return try await send(files, to: target, on: session, step: "file mount \(target)")
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

    /// Regular files under `root` with their sizes, times and modes (symlinks followed, sockets skipped).
    static func manifest(of root: String) throws -> [FileSyncRequest.Entry] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ControllerError("workdir \(root) is not a directory")
        }
        var entries: [FileSyncRequest.Entry] = []
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        while let relative = walker.nextObject() as? String {
            var info = stat()
            guard stat(root + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            entries.append(
                FileSyncRequest.Entry(
                    path: relative,
                    size: UInt64(info.st_size),
                    modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                    mode: UInt32(info.st_mode & 0o7777)
                )
            )
        }
        return entries.sorted { $0.path < $1.path }
    }
}
