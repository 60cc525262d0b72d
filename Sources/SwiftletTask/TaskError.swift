/// A problem in a task file, pointing at the place: `task.yaml:3:5: unknown field 'acclerators'`.
public struct TaskError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line and column; 0 when the problem has no single place.
    public var line: Int
    public var column: Int
    public var message: String
    /// The offending line of the file, quoted under the message.
    public var sourceLine: String?

    public init(file: String, line: Int, column: Int, message: String, sourceLine: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.sourceLine = sourceLine
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line):\(column)" : file
        var text = "\(place): \(message)"
        if let sourceLine, line > 0 {
            text += "\n    \(sourceLine)\n    " + String(repeating: " ", count: max(0, column - 1)) + "^"
        }
        return text
    }
}
