import SwiftletController
import Testing

@Suite struct LinePrefixerTests {
    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func prefixesEveryCompleteLine() {
        var prefixer = LinePrefixer(prefix: "(head, rank=0, pid=7) ")
        #expect(text(prefixer.feed(Array("a\nbb\n".utf8))) == "(head, rank=0, pid=7) a\n(head, rank=0, pid=7) bb\n")
    }

    @Test func holdsAPartialLineUntilItsEnd() {
        var prefixer = LinePrefixer(prefix: "> ")
        #expect(text(prefixer.feed(Array("par".utf8))) == "")
        #expect(text(prefixer.feed(Array("tial\nnext".utf8))) == "> partial\n")
        #expect(text(prefixer.feed(Array("".utf8))) == "")
        #expect(text(prefixer.finish()) == "> next\n")
        #expect(prefixer.finish().isEmpty)
    }

    @Test func survivesBeingFedOneByteAtATime() {
        var prefixer = LinePrefixer(prefix: "# ")
        var output: [UInt8] = []
        for byte in Array("one\ntwo\n\nthree".utf8) { output += prefixer.feed([byte]) }
        output += prefixer.finish()
        #expect(text(output) == "# one\n# two\n# \n# three\n")
    }

    @Test func cutsAnEndlessLineInsteadOfBufferingIt() {
        var prefixer = LinePrefixer(prefix: "> ")
        let output = prefixer.feed([UInt8](repeating: UInt8(ascii: "x"), count: LinePrefixer.maximumLine + 1))
        #expect(output.count == 2 + LinePrefixer.maximumLine + 1 + 1)
        #expect(output.last == UInt8(ascii: "\n"))
    }
}
