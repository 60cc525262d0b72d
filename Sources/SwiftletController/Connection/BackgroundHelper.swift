import Foundation
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// A `swiftlet` subcommand that goes on in the background after the command that started it
/// returns (`keeper`, `supervise`): it reports one ``HelperReport`` line on its stdout once it is
/// ready or has failed; everything else it says goes to its log.
enum BackgroundHelper {
    /// Starts `arguments` with its stderr in `log` and waits for its report. Returns on `ready`,
    /// throws the error it reports, or `silent(what its log says)` when it ended without a word.
    static func start(_ arguments: [String], log: String, silent: (String) -> any Error) async throws {
        let pipes = try ProcessSpawner.spawn(
            arguments,
            environment: ProcessInfo.processInfo.environment,
            workingDirectory: nil,
            stderrFile: log
        )
        close(pipes.stdin)
        _ = TransportExit(pid: pipes.pid)
        let line = await firstLine(of: pipes.stdout)
        close(pipes.stdout)
        switch line.flatMap(HelperReport.init(line:)) {
        case .ready:
            return
        case .failed(let error):
            throw error
        case nil:
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw silent(output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The helper's report line, read off the cooperative pool.
    private static func firstLine(of fd: Int32) async -> String? {
        await BlockingThread.value {
            var bytes: [UInt8] = []
            var byte: UInt8 = 0
            while Glibc.read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
            return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// The one line a background helper reports to the command that started it.
enum HelperReport {
    case ready
    case failed(NodeError)

    var line: String {
        switch self {
        case .ready: "ready"
        case .failed(let error):
            ["error", error.node, error.step, error.message].map {
                $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ")
            }.joined(separator: "\t")
        }
    }

    init?(line: String) {
        if line == "ready" {
            self = .ready
            return
        }
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, fields[0] == "error" else { return nil }
        self = .failed(NodeError(node: fields[1], step: fields[2], fields[3]))
    }
}
