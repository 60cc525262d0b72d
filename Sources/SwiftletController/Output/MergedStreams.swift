/// A job's stderr written on stdout, beside its stdout, in the order the lines came: how
/// SkyPilot streams a task's output (``RunStyle/task``). Everything else passes through.
struct MergedStreams: JobOutput {
    let output: any JobOutput

    func write(_ lines: UnsafeRawBufferPointer, to stream: OutputStream) {
        output.write(lines, to: .standardOutput)
    }

    func report(_ event: JobEvent) { output.report(event) }
    var drawsLiveBoard: Bool { output.drawsLiveBoard }
    func drawBoard(_ lines: [String]) { output.drawBoard(lines) }
}
