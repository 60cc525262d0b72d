#if canImport(Glibc)
    import Glibc
#endif

/// Cuts a byte stream into lines and puts a prefix before each, holding a partial line until
/// its end arrives, so lines from different ranks never interleave mid-line.
public struct LinePrefixer: Sendable {
    public let prefix: [UInt8]
    private var partial: [UInt8] = []
    /// A single line longer than this is emitted in pieces rather than buffered without bound.
    public static let maximumLine = 64 * 1024

    public init(prefix: String) {
        self.prefix = Array(prefix.utf8)
    }

    /// The same partial line, with a new prefix for what follows.
    public func withPrefix(_ prefix: String) -> LinePrefixer {
        var copy = LinePrefixer(prefix: prefix)
        copy.partial = partial
        return copy
    }

    /// The complete, prefixed lines in `bytes` (each ending in a newline), as one block.
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        if let result = bytes.withContiguousStorageIfAvailable({ feed(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { feed($0) }
    }

    /// The hot path: one `memchr` and two `memcpy`s per line into an output sized up front.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return [] }
        let newline = Int32(UInt8(ascii: "\n"))
        var lineEnds: [Int] = []
        var cursor = 0
        while cursor < bytes.count, let found = memchr(base + cursor, newline, bytes.count - cursor) {
            cursor = base.distance(to: UnsafeRawPointer(found)) + 1
            lineEnds.append(cursor)
        }
        let complete = lineEnds.last ?? 0
        let capacity = lineEnds.count * prefix.count + (lineEnds.isEmpty ? 0 : partial.count) + complete
        var output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            guard let out = buffer.baseAddress else { return }
            var written = 0
            var start = 0
            prefix.withUnsafeBytes { prefixBytes in
                for end in lineEnds {
                    memcpy(out + written, prefixBytes.baseAddress!, prefixBytes.count)
                    written += prefixBytes.count
                    if start == 0 && !partial.isEmpty {
                        _ = partial.withUnsafeBytes { memcpy(out + written, $0.baseAddress!, $0.count) }
                        written += partial.count
                    }
                    memcpy(out + written, base + start, end - start)
                    written += end - start
                    start = end
                }
            }
            count = written
        }
        if !lineEnds.isEmpty { partial.removeAll(keepingCapacity: true) }
        partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[complete...]))
        if partial.count > Self.maximumLine {
            output += prefix + partial + [UInt8(ascii: "\n")]
            partial.removeAll(keepingCapacity: true)
        }
        return output
    }

    /// The last, unterminated line, if any, with a newline added.
    public mutating func finish() -> [UInt8] {
        guard !partial.isEmpty else { return [] }
        defer { partial.removeAll() }
        return prefix + partial + [UInt8(ascii: "\n")]
    }
}
