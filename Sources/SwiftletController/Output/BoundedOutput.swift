import SwiftletPOSIX

/// Hands on at most `limit` bytes of a job's lines to `output`, then one line saying where the
/// rest is, and drops the rest: a background supervisor's log must not grow without bound while
/// a job floods its output (the nodes keep every byte in the job's own logs). Events still pass.
public final class BoundedOutput: JobOutput {
    private let output: any JobOutput
    private let limit: Int
    private let note: String
    private let written = Locked(0)

    /// `note` is the line written once the limit is reached (say, how to read the rest).
    public init(_ output: any JobOutput, limit: Int, note: String) {
        self.output = output
        self.limit = limit
        self.note = note
    }

    public func write(_ lines: UnsafeRawBufferPointer, to stream: OutputStream) {
        let (allowed, crossed) = written.withLock { written in
            let before = written
            written += lines.count
            return (before + lines.count <= limit ? lines.count : 0, before <= limit && written > limit)
        }
        if allowed > 0 { output.write(lines, to: stream) }
        if crossed { output.report(.helper(note)) }
    }

    public func report(_ event: JobEvent) { output.report(event) }
}
