import Foundation

/// A dotenv file, as `--env-file` and `--secret-file` read it (SkyPilot reads them with
/// python-dotenv): `KEY=VALUE` lines, `export KEY=VALUE`, `#` comments and blank lines;
/// values may be quoted (`"..."` with `\n`, `\"` and `\\` escapes, `'...'` as written); an
/// unquoted value ends at ` #`. A bad line is an error naming the file and line, never showing
/// the value (the file may hold secrets).
public enum DotEnvFile {
    public static func parse(_ text: String, file: String) throws -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw.hasSuffix("\r") ? raw.dropLast() : raw)
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop { $0 == " " } }
            guard let equals = line.firstIndex(of: "=") else {
                throw TaskError(file: file, line: index + 1, column: 1, message: "expected KEY=VALUE")
            }
            let key = String(line[..<equals]).trimmingWhitespace
            guard EnvironmentName.isValid(key) else {
                throw TaskError(file: file, line: index + 1, column: 1, message: "'\(key)' is not a variable name")
            }
            let rest = line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            guard let value = self.value(rest) else {
                throw TaskError(file: file, line: index + 1, column: 1, message: "\(key): the value's quote is not closed")
            }
            pairs.append((key, value))
        }
        return pairs
    }

    /// The value of `text` (after `=`); nil when a quote is not closed.
    static func value(_ text: Substring) -> String? {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            let unquoted = text.range(of: " #").map { text[..<$0.lowerBound] } ?? text
            return String(unquoted).trimmingWhitespace
        }
        var value = ""
        var escaped = false
        for character in text.dropFirst() {
            if escaped {
                value.append(character == "n" ? "\n" : character)
                escaped = false
            } else if quote == "\"" && character == "\\" {
                escaped = true
            } else if character == quote {
                return value
            } else {
                value.append(character)
            }
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
