import NIOCore

/// Copies a directory tree to the node, sending only files whose size or modification time
/// differ from the node's copy.
///
/// ```
/// controller                               agent
///   sync(FileSyncRequest) ───────────────▶
///                         ◀─────────────── data: u32 n + n x u32 (indices of files it needs)
///   data: the needed files' bytes, ──────▶  written to temp files, renamed into place,
///         concatenated in index order        mode and mtime set
///   eof ─────────────────────────────────▶
///                         ◀─────────────── exit(0), or reset(reason)
/// ```
///
/// Request payload: destination (string), u32 n, then n entries of
/// `path (string, relative) | size u64 | mtime ns since epoch i64 | mode u32`. A mode with the
/// symbolic-link type (``Entry/symbolicLink``) makes the entry a link whose target is its bytes.
public struct FileSyncRequest: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var path: String
        public var size: UInt64
        public var modifiedNanoseconds: Int64
        public var mode: UInt32

        /// The mode of a symbolic link: its content (of `size` bytes) is its target.
        public static let symbolicLink: UInt32 = 0o120777

        public var isSymbolicLink: Bool { mode & 0o170000 == 0o120000 }

        public init(path: String, size: UInt64, modifiedNanoseconds: Int64, mode: UInt32) {
            self.path = path
            self.size = size
            self.modifiedNanoseconds = modifiedNanoseconds
            self.mode = mode
        }
    }

    /// The directory on the node (`~/` prefix allowed).
    public var destination: String
    public var entries: [Entry]

    public init(destination: String, entries: [Entry]) {
        self.destination = destination
        self.entries = entries
    }
}

extension FileSyncRequest: WireMessage {
    public init(payload: ByteBuffer) throws {
        var reader = WireReader(payload, what: "sync")
        self.destination = try reader.string()
        let count = Int(try reader.integer(UInt32.self))
        // Each entry is at least 24 bytes, which bounds `count` by what is really there.
        guard count <= reader.buffer.readableBytes / 24 else { throw ProtocolError(.malformedFrame, "sync: payload is truncated") }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let path = try reader.string()
            guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw ProtocolError(.malformedFrame, "sync: path '\(path)' leaves the destination")
            }
            entries.append(
                Entry(path: path, size: try reader.integer(), modifiedNanoseconds: try reader.integer(), mode: try reader.integer())
            )
        }
        self.entries = entries
        try reader.finish()
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeWireString(destination)
        buffer.writeInteger(UInt32(entries.count))
        for entry in entries {
            buffer.writeWireString(entry.path)
            buffer.writeInteger(entry.size)
            buffer.writeInteger(entry.modifiedNanoseconds)
            buffer.writeInteger(entry.mode)
        }
    }
}
