import Testing

@testable import SwiftletTask

/// `--env-file` and `--secret-file` as python-dotenv reads them.
@Suite struct DotEnvFileTests {
    @Test func linesQuotesCommentsAndExport() throws {
        let text = """
            # a comment
            A=plain
            export B = spaced  # trailing comment
            C="two words\\nand \\"quotes\\""
            D='single $KEEP # not a comment'

            E=
            """
        let pairs = try DotEnvFile.parse(text, file: "f.env")
        #expect(pairs.map(\.key) == ["A", "B", "C", "D", "E"])
        #expect(pairs.map(\.value) == ["plain", "spaced", "two words\nand \"quotes\"", "single $KEEP # not a comment", ""])
    }

    @Test func aBadLineIsNamedWithoutItsValue() {
        #expect(throws: TaskError(file: "s.env", line: 2, column: 1, message: "expected KEY=VALUE")) {
            try DotEnvFile.parse("A=1\nsecret-value-alone\n", file: "s.env")
        }
        #expect(throws: TaskError(file: "s.env", line: 1, column: 1, message: "'1A' is not a variable name")) {
            try DotEnvFile.parse("1A=x", file: "s.env")
        }
        #expect(throws: TaskError(file: "s.env", line: 1, column: 1, message: "TOKEN: the value's quote is not closed")) {
            try DotEnvFile.parse("TOKEN=\"hunter2", file: "s.env")
        }
    }
}
