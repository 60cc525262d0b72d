import Foundation

/// A captured tool output: its first line names its source and is not part of it; `## ` lines
/// separate several commands' outputs; `# ` lines inside are the collector's comments.
struct Capture {
    let name: String
    let text: String

    static let copies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Captures").path

    /// A capture copied beside these tests.
    init(_ name: String, in directory: String = Capture.copies) throws {
        self.name = name
        let whole = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        text = whole.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().joined()
    }

    /// The output of the command whose `## ` marker contains `command`, or the whole capture.
    func section(_ command: String? = nil) -> String {
        guard let command else { return text }
        var lines: [Substring] = []
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                inside = line.contains(command)
            } else if inside {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The capture's lines that are not the collector's comments.
    var documents: [String] {
        text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
    }
}
