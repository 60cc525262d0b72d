/// Where orchestration's output goes. Library code never prints: it hands a job's lines and its
/// events to a `JobOutput`, and the CLI decides how they reach the person (the terminal, a
/// progress board redrawn in place, later `--json`); background helpers write them to their
/// logs, and tests collect them.
public protocol JobOutput: Sendable {
    /// A block of whole, prefixed lines of a job's output, on the stream the job wrote it to.
    /// The hot path of streaming: one call per block, never per line.
    func write(_ lines: UnsafeRawBufferPointer, to stream: OutputStream)

    /// Something the person at the controller should know.
    func report(_ event: JobEvent)

    /// Whether a progress board may be redrawn in place (a terminal); otherwise each finished
    /// step is reported as ``JobEvent/stepFinished(node:step:took:)``.
    var drawsLiveBoard: Bool { get }

    /// The progress board as it stands now, to draw over the previous one.
    func drawBoard(_ lines: [String])
}

extension JobOutput {
    public var drawsLiveBoard: Bool { false }
    public func drawBoard(_ lines: [String]) {}

    func write(_ lines: [UInt8], to stream: OutputStream) {
        guard !lines.isEmpty else { return }
        lines.withUnsafeBytes { write($0, to: stream) }
    }
}

/// The two streams of a job's output.
public enum OutputStream: Sendable, Equatable {
    case standardOutput
    case standardError
}
