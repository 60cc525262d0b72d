import SwiftletController
import SwiftletPOSIX

/// Renders orchestration's output on this process's terminal: job lines as they come, events as
/// plain lines (results on stdout, notices on stderr), and the progress board redrawn in place
/// when stderr is a terminal.
struct TerminalOutput: JobOutput {
    private let drawnLines = Locked(0)

    func write(_ lines: UnsafeRawBufferPointer, to stream: OutputStream) {
        switch stream {
        case .standardOutput: Terminal.out(lines)
        case .standardError: Terminal.err(lines)
        }
    }

    func report(_ event: JobEvent) {
        // What answers a Ctrl-C starts below the ^C the terminal echoed.
        let afterInterrupt: Bool
        switch event {
        case .detached, .detachingOnceStarted: afterInterrupt = true
        default: afterInterrupt = false
        }
        let line = (afterInterrupt ? "\n" : "") + event.description + "\n"
        if event.isResult { Terminal.out(line) } else { Terminal.err(line) }
    }

    var drawsLiveBoard: Bool { Terminal.stderrIsTerminal }

    func drawBoard(_ lines: [String]) {
        let text = drawnLines.withLock { drawn in
            // Up over what was drawn before, then each line cleared and written again.
            let up = drawn > 0 ? "\u{1B}[\(drawn)A" : ""
            drawn = lines.count
            return up + lines.map { "\r\u{1B}[2K" + $0 + "\n" }.joined()
        }
        Terminal.err(text)
    }
}

/// A background helper's output: its log is its stderr, where everything goes.
struct HelperLogOutput: JobOutput {
    func write(_ lines: UnsafeRawBufferPointer, to stream: OutputStream) { Terminal.err(lines) }
    func report(_ event: JobEvent) { Terminal.err(event.description + "\n") }
}
