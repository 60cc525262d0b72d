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

    /// An endless line is handed on in pieces instead of buffered without bound, and stays one
    /// line: one prefix at its start, none (and no newline) in its middle.
    @Test func aLineLongerThanTheLimitGoesOutInPiecesAsOneLine() {
        var prefixer = LinePrefixer(prefix: "> ")
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: LinePrefixer.maximumLine + 1)
        var output = prefixer.feed(long)
        #expect(output.count == 2 + LinePrefixer.maximumLine + 1, "held back without bound")
        output += prefixer.feed(Array("yy\nnext\n".utf8))
        output += prefixer.feed(long)
        output += prefixer.finish()
        let lines = text(output).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4)
        #expect(lines[0] == "> " + String(repeating: "x", count: LinePrefixer.maximumLine + 1) + "yy")
        #expect(lines[1] == "> next")
        #expect(lines[2] == "> " + String(repeating: "x", count: LinePrefixer.maximumLine + 1))
        #expect(lines[3] == "")
    }

    @Test func aNewPrefixKeepsTheLineInProgress() {
        var prefixer = LinePrefixer(prefix: "")
        #expect(prefixer.feed(Array("hal".utf8)).isEmpty)
        prefixer = prefixer.withPrefix("(task, pid=9) ")
        #expect(text(prefixer.feed(Array("f\n".utf8))) == "(task, pid=9) half\n")
    }

    /// A flood of short lines (as `seq` prints them) in one call or in pipe-sized reads: handed
    /// on in bounded blocks, and no line anywhere in a block loses its prefix.
    @Test(arguments: [65536, 1 << 30])
    func aFloodOfShortLinesComesOutWhole(readSize: Int) {
        let lines = (1...300_000).map { "\($0)\n" }
        let input = Array(lines.joined().utf8)
        let prefix = "(task, pid=12345) "
        var prefixer = LinePrefixer(prefix: prefix)
        var output: [UInt8] = []
        var blocks: [Int] = []
        var offset = 0
        while offset < input.count {
            let count = min(input.count - offset, readSize)
            input[offset..<offset + count].withUnsafeBytes {
                prefixer.feed($0) { block in
                    output += block
                    blocks.append(block.count)
                }
            }
            offset += count
        }
        #expect(prefixer.finish().isEmpty)
        #expect(text(output) == lines.map { prefix + $0 }.joined())
        #expect(blocks.max()! <= 320 * 1024)
    }

    /// The word-at-a-time scan against the plain definition, on lines of every length around
    /// its 8-byte steps, cut into chunks at every kind of place, under short and long prefixes.
    @Test(arguments: ["", "> ", "(worker12, rank=12, pid=1234567, ip=10.213.0.17) "])
    func matchesLineByLinePrefixingHoweverTheStreamIsCut(prefix: String) {
        var input: [UInt8] = []
        for length in Array(0..<40) + [200, 4095, 20_000] {
            input += (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) } + [UInt8(ascii: "\n")]
        }
        input += Array("no newline at the end".utf8)
        let expected = String(decoding: input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { prefix + $0 + "\n" }.joined()
        var generator = SystemRandomNumberGenerator()
        for maximumChunk in [1, 7, 8, 9, 64, 4096, 300_000] {
            var prefixer = LinePrefixer(prefix: prefix)
            var output: [UInt8] = []
            var offset = 0
            while offset < input.count {
                let count = min(input.count - offset, Int.random(in: 1...maximumChunk, using: &generator))
                input[offset..<offset + count].withUnsafeBytes { prefixer.feed($0) { output += $0 } }
                offset += count
            }
            output += prefixer.finish()
            #expect(text(output) == expected, "chunks of up to \(maximumChunk) bytes")
        }
    }
}
