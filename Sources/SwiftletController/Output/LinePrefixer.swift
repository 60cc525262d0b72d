#if canImport(Glibc)
    import Glibc
#endif

/// Cuts a byte stream into lines and puts a prefix before each, holding a partial line until
/// its end arrives, so lines from different ranks never interleave mid-line.
///
/// The hot path of a streaming job (a million short lines a second): one pass that copies 8
/// bytes at a time and finds newlines inside each word, into an output buffer kept between
/// calls, so no line costs a call or an allocation.
public struct LinePrefixer: Sendable {
    public let prefix: [UInt8]
    /// The prefix with room after it for whole-word loads.
    private let paddedPrefix: [UInt8]
    /// The output under construction: complete lines, then the current line (its prefix and
    /// the part of it seen so far). Only `committed` bytes are complete; `used` are written.
    private var buffer: [UInt8] = []
    private var used = 0
    /// The line in progress was longer than ``maximumLine`` and its first pieces went out: what
    /// follows, up to its newline, is the same line and gets no prefix of its own.
    private var continuesLine = false
    /// A single line longer than this is emitted in pieces rather than buffered without bound.
    public static let maximumLine = 64 * 1024
    /// Output gathered before it is handed on.
    private static let blockSize = 256 * 1024
    /// Room past the end for the 8-byte stores that overshoot.
    private static let slack = 16

    public init(prefix: String) {
        self.prefix = Array(prefix.utf8)
        self.paddedPrefix = self.prefix + [UInt8](repeating: 0, count: 8)
    }

    /// The same partial line, with a new prefix for what follows.
    public func withPrefix(_ prefix: String) -> LinePrefixer {
        var copy = LinePrefixer(prefix: prefix)
        copy.continuesLine = continuesLine
        if used > 0 {
            copy.buffer = copy.prefix + buffer[self.prefix.count..<used]
            copy.used = copy.buffer.count
        }
        return copy
    }

    /// The complete, prefixed lines in `bytes` (each ending in a newline), as one block.
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        var output: [UInt8] = []
        let append = { (block: UnsafeRawBufferPointer) in output.append(contentsOf: block) }
        if bytes.withContiguousStorageIfAvailable({ feed(UnsafeRawBufferPointer($0), emit: append) }) == nil {
            Array(bytes).withUnsafeBytes { feed($0, emit: append) }
        }
        return output
    }

    /// Hands the complete, prefixed lines in `bytes` to `emit`, in blocks of up to about 256 KiB
    /// (none when no line ended). A block is only valid during its call.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) -> Void) {
        guard let input = bytes.baseAddress, bytes.count > 0 else { return }
        let capacity = Self.maximumLine + Self.blockSize + 2 * prefix.count + Self.slack
        if buffer.count < capacity { buffer.append(contentsOf: repeatElement(0, count: capacity - buffer.count)) }
        var read = 0
        while read < bytes.count {
            // Input that fits even if every byte ends a line.
            let room = (capacity - used - prefix.count - Self.slack) / (prefix.count + 1)
            let slice = min(bytes.count - read, room)
            let (written, committed) = buffer.withUnsafeMutableBytes { out in
                paddedPrefix.withUnsafeBytes { padded in
                    Self.copyLines(
                        from: input + read,
                        count: slice,
                        to: out.baseAddress!,
                        at: used,
                        prefix: padded.baseAddress!,
                        prefixCount: prefix.count,
                        lineStarted: used > 0 || continuesLine
                    )
                }
            }
            read += slice
            used = written
            if committed > 0 { continuesLine = false }
            var complete = committed
            if used - complete > prefix.count + Self.maximumLine {
                // Too long to hold: what came of the line goes out as it is, and the rest of it
                // follows without a prefix (never a prefix, nor a newline, in its middle).
                complete = used
                continuesLine = true
            }
            guard complete > 0 else { continue }
            buffer.withUnsafeMutableBytes { out in
                emit(UnsafeRawBufferPointer(rebasing: out[0..<complete]))
                // The line in progress moves to the front: short, but for the rare endless line.
                _ = memmove(out.baseAddress!, out.baseAddress! + complete, used - complete)
            }
            used -= complete
        }
    }

    /// The last, unterminated line, if any, with a newline added.
    public mutating func finish() -> [UInt8] {
        defer { continuesLine = false }
        guard used > 0 else { return continuesLine ? [UInt8(ascii: "\n")] : [] }
        defer {
            used = 0
            buffer = []
        }
        return Array(buffer[0..<used]) + [UInt8(ascii: "\n")]
    }

    /// Copies `count` input bytes to `out` from offset `used`, writing the prefix at the start of
    /// every line (`prefix` may be read up to 7 bytes past its end). Returns the bytes written and
    /// the end of the last complete line.
    private static func copyLines(
        from input: UnsafeRawPointer,
        count: Int,
        to out: UnsafeMutableRawPointer,
        at used: Int,
        prefix: UnsafeRawPointer,
        prefixCount: Int,
        lineStarted: Bool
    ) -> (written: Int, committed: Int) {
        let newlines: UInt64 = 0x0a0a_0a0a_0a0a_0a0a
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var read = 0
        var written = used
        var committed = 0
        // Not started: at the start of a line whose prefix is not yet written.
        var lineStarted = lineStarted
        while read < count {
            if !lineStarted {
                // Whole words, the last one spilling past the prefix into room the line overwrites.
                var word = 0
                while word < prefixCount {
                    out.storeBytes(
                        of: prefix.loadUnaligned(fromByteOffset: word, as: UInt64.self),
                        toByteOffset: written + word,
                        as: UInt64.self
                    )
                    word += 8
                }
                written += prefixCount
                lineStarted = true
            }
            if read + 8 <= count {
                let raw = input.loadUnaligned(fromByteOffset: read, as: UInt64.self)
                out.storeBytes(of: raw, toByteOffset: written, as: UInt64.self)
                let word = UInt64(littleEndian: raw)  // the first byte in memory is the lowest
                // A zero byte in `word ^ newlines` is a newline; the lowest flag is exact.
                let probe = word ^ newlines
                let found = (probe &- ones) & ~probe & highs
                if found == 0 {
                    read += 8
                    written += 8
                    continue
                }
                let length = found.trailingZeroBitCount / 8 + 1
                read += length
                written += length
            } else {
                let byte = input.load(fromByteOffset: read, as: UInt8.self)
                out.storeBytes(of: byte, toByteOffset: written, as: UInt8.self)
                read += 1
                written += 1
                guard byte == UInt8(ascii: "\n") else { continue }
            }
            committed = written
            lineStarted = false
        }
        return (written, committed)
    }
}
