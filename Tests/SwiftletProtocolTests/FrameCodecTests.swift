import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import SwiftletProtocol

@Suite struct FrameCodecTests {
    func wire(_ frames: [Frame]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for frame in frames { buffer.writeFrame(frame) }
        return buffer
    }

    @Test func encodesTheDocumentedLayout() {
        let bytes = Array(wire([Frame(kind: .data, stream: StreamID(7), payload: ByteBuffer(string: "hi"))]).readableBytesView)
        #expect(bytes == [0, 0, 0, 7, 0x12, 0, 0, 0, 7, UInt8(ascii: "h"), UInt8(ascii: "i")])
    }

    @Test func decodesFramesFedOneByteAtATime() throws {
        let frames = [
            Frame(kind: .hello, payload: Hello(role: "agent", buildID: "abc", os: "linux", arch: "x86_64").payload),
            Frame(kind: .data, stream: StreamID(3), payload: ByteBuffer(string: "hello world")),
            Frame(kind: .eof, stream: StreamID(3)),
        ]
        var decoder = FrameDecoder()
        var input = wire(frames)
        var accumulated = ByteBuffer()
        var decoded: [Frame] = []
        while let byte = input.readSlice(length: 1) {
            var slice = byte
            accumulated.writeBuffer(&slice)
            while let frame = try decoder.decode(buffer: &accumulated) { decoded.append(frame) }
        }
        #expect(decoded == frames)
        #expect(accumulated.readableBytes == 0)
    }

    @Test func passesNIOsDecoderVerifier() throws {
        let frame = Frame(kind: .stderr, stream: StreamID(9), payload: ByteBuffer(string: "oops\n"))
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(wire([frame]), [frame]), (wire([frame, frame]), [frame, frame])],
            decoderFactory: { FrameDecoder() }
        )
    }

    @Test func rejectsOversizedFrameBeforeBuffering() {
        var decoder = FrameDecoder(maximumPayload: 1024)
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(1 << 30))  // announces a gigabyte; only the length is here
        #expect {
            _ = try decoder.decode(buffer: &buffer)
        } throws: { error in
            (error as? ProtocolError)?.code == .frameTooLarge
        }
    }

    @Test func rejectsALengthShorterThanTheHeader() {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0, 2, 0x12, 0])
        #expect(throws: ProtocolError.self) { _ = try decoder.decode(buffer: &buffer) }
    }

    @Test func reportsAStreamThatEndsInsideAFrame() {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0, 9, 0x12, 0, 0, 0, 1, 65])
        #expect {
            _ = try decoder.decodeLast(buffer: &buffer, seenEOF: true)
        } throws: { error in
            (error as? ProtocolError)?.code == .malformedFrame
        }
    }
}

@Suite struct FrameReaderTests {
    func wire(_ frames: [Frame]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for frame in frames { buffer.writeFrame(frame) }
        return buffer
    }

    /// Frames read back from `input` cut into reads at `cuts`; the reader's error, if any.
    func read(_ input: ByteBuffer, cutAt cuts: [Int], maximumPayload: Int = Frame.defaultMaximumPayload) throws -> ([Frame], (any Error)?) {
        let channel = EmbeddedChannel(handler: FrameReader(maximumPayload: maximumPayload))
        var input = input
        var start = input.readerIndex
        var failure: (any Error)?
        for cut in cuts.sorted() + [input.writerIndex] where cut > start {
            do {
                try channel.writeInbound(input.getSlice(at: start, length: cut - start)!)
            } catch {
                failure = error
                break
            }
            start = cut
        }
        input.moveReaderIndex(to: input.writerIndex)
        var frames: [Frame] = []
        while let frame = try channel.readInbound(as: Frame.self) { frames.append(frame) }
        if failure == nil {
            do { _ = try channel.finish() } catch { failure = error }
        }
        return (frames, failure)
    }

    /// The frames that `pieces` are pieces of: each data frame's pieces joined.
    func joined(_ pieces: [Frame]) -> [Frame] {
        var frames: [Frame] = []
        var joining = false
        for piece in pieces {
            if joining {
                frames[frames.count - 1].payload.writeImmutableBuffer(piece.payload)
                frames[frames.count - 1].continues = piece.continues
            } else {
                frames.append(piece)
            }
            joining = piece.continues
        }
        return frames
    }

    @Test func readsFramesHoweverTheStreamIsCut() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let frames = (0..<Int.random(in: 1...12, using: &generator)).map { index in
                let size = [0, 1, 7, 4096, 70_000, 262_144].randomElement(using: &generator)!
                let kind = [FrameKind.data, .stderr, .open, .exit].randomElement(using: &generator)!
                return Frame(kind: kind, stream: StreamID(UInt32(index)), payload: ByteBuffer(repeating: UInt8(index), count: size))
            }
            let input = wire(frames)
            let cuts = (0..<Int.random(in: 0...20, using: &generator)).map { _ in Int.random(in: 0..<input.writerIndex, using: &generator) }
            let (read, failure) = try read(input, cutAt: cuts)
            #expect(failure == nil)
            #expect(joined(read) == frames)
            // Only bytes come in pieces, and never more pieces than reads.
            #expect(read.allSatisfy { !$0.continues || $0.kind.carriesBytes })
            #expect(read.count <= frames.count + cuts.count)
        }
    }

    @Test func aDataFrameThatReadsCutComesInPiecesAsRead() throws {
        let output = Frame(kind: .data, stream: StreamID(5), payload: ByteBuffer(bytes: (0..<100_000).map { UInt8($0 % 251) }))
        let request = Frame(kind: .open, stream: StreamID(7), payload: ByteBuffer(repeating: 0x61, count: 50_000))
        let input = wire([output, request])
        // Inside the data frame's header, twice inside its payload, then inside the exec frame.
        let (read, failure) = try read(input, cutAt: [5, 30_009, 70_009, 100_009 + 20_000])
        #expect(failure == nil)
        #expect(read.map(\.payload.readableBytes) == [30_000, 40_000, 30_000, 50_000])
        #expect(read.map(\.continues) == [true, true, false, false])
        #expect(read.allSatisfy { $0.kind == .data } == false)
        #expect(joined(read) == [output, request])
    }

    @Test func theWriterSendsTheSameBytesAsTheWireForm() throws {
        let frames = [
            Frame(kind: .ping, payload: ByteBuffer(integer: UInt64(7))),
            Frame(kind: .data, stream: StreamID(3), payload: ByteBuffer(repeating: 0x61, count: FrameWriter.copiedPayload)),
            Frame(kind: .data, stream: StreamID(3), payload: ByteBuffer(repeating: 0x62, count: 200_000)),
            Frame(kind: .eof, stream: StreamID(3)),
        ]
        let channel = EmbeddedChannel(handler: FrameWriter())
        for frame in frames { try channel.writeOutbound(frame) }
        var sent = ByteBuffer()
        var buffers = 0
        while var piece = try channel.readOutbound(as: ByteBuffer.self) {
            sent.writeBuffer(&piece)
            buffers += 1
        }
        #expect(sent == wire(frames))
        // Only the large payload travels as a buffer of its own, after its header.
        #expect(buffers == frames.count + 1)
        let (read, failure) = try read(sent, cutAt: [])
        #expect(failure == nil)
        #expect(read == frames)
    }

    @Test func aStreamThatEndsInsideAFrameFails() throws {
        let input = wire([Frame(kind: .data, stream: StreamID(1), payload: ByteBuffer(string: "hello"))])
        for end in [2, 6, input.writerIndex - 1] {
            let (read, failure) = try read(input.getSlice(at: 0, length: end)!, cutAt: [1])
            // At most the first piece of its payload went on, never the whole frame.
            #expect(read.filter { !$0.continues }.isEmpty)
            #expect((failure as? ProtocolError)?.code == .malformedFrame)
        }
    }

    @Test func anOversizedFrameFailsAsSoonAsItsLengthIsIn() throws {
        var input = ByteBuffer()
        input.writeInteger(UInt32(1 << 30))
        let (read, failure) = try read(input, cutAt: [2], maximumPayload: 1024)
        #expect(read.isEmpty)
        #expect((failure as? ProtocolError)?.code == .frameTooLarge)
    }
}

@Suite struct MessageTests {
    @Test func execRequestRoundTrips() throws {
        let request = ExecRequest(
            command: "echo $A",
            workingDirectory: "~/sky_workdir",
            environment: ["A": "1", "B": "two words"],
            sourceBashrc: true,
            survivesDisconnect: true
        )
        #expect(try ExecRequest(payload: request.payload) == request)
        var job = request
        job.job = JobTicket(
            id: 7,
            cluster: "train",
            name: "bert",
            rank: 2,
            step: .run,
            gpus: 8,
            milliCPUs: 1500,
            taskID: "sky-2026_train_7"
        )
        #expect(try ExecRequest(payload: job.payload) == job)
        var truncated = job.payload
        truncated.moveWriterIndex(to: truncated.writerIndex - 1)
        #expect(throws: ProtocolError.self) { try ExecRequest(payload: truncated) }
    }

    @Test func jobRecordsReadBackWhatWasWrittenAndRejectTornFiles() {
        let ticket = JobTicket(id: 3, cluster: "c", name: "a=b", rank: 1, step: .run, gpus: 2, milliCPUs: 500, taskID: "sky-x_c_3")
        var record = JobRecord(ticket: ticket, submitted: 1_700_000_000, logPath: ".swiftlet/jobs/c/3/run.log")
        record = record.moved(to: .running, at: 1_700_000_005)!
        record.pid = 42
        record.pidStartTime = 99
        record.gpuIDs = [2, 3]
        record.ownerPID = 7
        record.ownerStartTime = 1234
        record = record.moved(to: .failed, at: 1_700_000_009)!
        record.exit = ExitStatus(code: 137, signal: 9)
        #expect(JobRecord(text: record.text) == record)
        #expect(record.started == 1_700_000_005 && record.ended == 1_700_000_009)
        // A final state is never left.
        #expect(record.moved(to: .running, at: 1) == nil)
        // Cut anywhere before the log line, the file is not a record.
        let lines = record.text.split(separator: "\n")
        #expect(JobRecord(text: lines.dropLast().joined(separator: "\n")) == nil)
        #expect(JobRecord(text: "") == nil)
    }

    @Test func jobStatesMoveForwardOnly() {
        #expect(JobState.pending.allows(.running))
        #expect(JobState.settingUp.allows(.pending))
        #expect(JobState.running.allows(.cancelled))
        #expect(!JobState.cancelled.allows(.failed))
        #expect(!JobState.succeeded.allows(.running))
        #expect(!JobState.running.allows(.initializing))
    }

    @Test func truncatedMessagesAreProtocolErrorsNotCrashes() throws {
        let payload = ExecRequest(command: "true", environment: ["K": "V"]).payload
        for length in 0..<payload.readableBytes {
            let cut = payload.getSlice(at: payload.readerIndex, length: length)!
            #expect(throws: ProtocolError.self) { try ExecRequest(payload: cut) }
        }
    }

    @Test func aLyingCountCannotAllocate() {
        var payload = ByteBuffer()
        payload.writeWireString("cmd")
        payload.writeWireString("")
        payload.writeInteger(UInt32.max)  // claims four billion env pairs
        #expect(throws: ProtocolError.self) { try ExecRequest(payload: payload) }
    }

    @Test func syncRequestRefusesPathsOutsideTheDestination() {
        for path in ["../etc/passwd", "/etc/passwd", "a/../../b"] {
            let request = FileSyncRequest(destination: "~/w", entries: [.init(path: path, size: 1, modifiedNanoseconds: 0, mode: 0o644)])
            #expect(throws: ProtocolError.self) { try FileSyncRequest(payload: request.payload) }
        }
    }

    @Test func exitStatusFollowsTheShellConvention() throws {
        #expect(ExitStatus.killed(by: 15) == ExitStatus(code: 143, signal: 15))
        #expect(try ExitStatus(payload: ExitStatus(code: 3).payload).code == 3)
    }
}
