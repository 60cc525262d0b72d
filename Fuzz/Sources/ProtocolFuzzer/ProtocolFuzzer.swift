import NIOCore
import NIOEmbedded
import SwiftletProtocol

/// Feeds arbitrary bytes through everything that reads peer input: the preamble scanner, the
/// frame decoder, the frame reader, the connection state machine and every message decoder.
/// Any trap is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    checkFrameReader(bytes)
    var buffer = ByteBuffer(bytes: bytes)
    let now = ContinuousClock.now

    var scanner = PreambleScanner(maximumNoise: 4096)
    _ = try? scanner.scan(&buffer)

    var decoder = FrameDecoder(maximumPayload: 64 * 1024)
    var machine = ConnectionStateMachine(
        local: Hello(role: "agent", buildID: "fuzz", os: "linux", arch: "x86_64"),
        window: 4096,
        now: now
    )
    // The first frame is taken as the peer's hello so later frames reach the established state.
    var first = true
    var frames = ByteBuffer(bytes: bytes)
    while let frame = try? decoder.decode(buffer: &frames) {
        if first {
            _ = machine.received(
                Frame(kind: .hello, payload: Hello(role: "controller", buildID: "x", os: "linux", arch: "x86_64").payload),
                at: now
            )
            first = false
        }
        _ = machine.received(frame, at: now)
        _ = machine.consumed(frame.payload.readableBytes, on: frame.stream)
        _ = try? Hello(payload: frame.payload)
        _ = try? ExecRequest(payload: frame.payload)
        _ = try? ExitStatus(payload: frame.payload)
        _ = try? StreamFailure(payload: frame.payload)
        _ = try? ProtocolError(payload: frame.payload)
        _ = try? FileSyncRequest(payload: frame.payload)
        _ = try? FollowRequest(payload: frame.payload)
        _ = try? StreamRequest(payload: frame.payload)
        if let opening = try? StreamOpening(payload: frame.payload) {
            _ = try? ExecRequest(payload: opening.request)
            _ = try? FollowRequest(payload: opening.request)
            _ = try? FileSyncRequest(payload: opening.request)
        }
        _ = JobRecord(text: String(buffer: frame.payload))
        _ = NodeState(text: String(buffer: frame.payload))
    }
    _ = try? decoder.decodeLast(buffer: &frames, seenEOF: true)
    return 0
}

/// The frame reader, fed the bytes after the first in reads of 1 to 256 bytes (the first byte
/// says how many), must hand on the frames the decoder reads from them whole: its data frames
/// in pieces that join to the same frames, nothing more, and a failure at the same frame.
func checkFrameReader(_ bytes: UnsafeRawBufferPointer) {
    guard let first = bytes.first else { return }
    let input = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    var decoder = FrameDecoder(maximumPayload: 1024)
    var whole = ByteBuffer(bytes: input)
    var expected: [Frame] = []
    var decoderFailed = false
    do {
        while let frame = try decoder.decode(buffer: &whole) { expected.append(frame) }
    } catch {
        decoderFailed = true
    }
    let channel = EmbeddedChannel(handler: FrameReader(maximumPayload: 1024))
    var readerFailed = false
    var offset = 0
    while offset < input.count, !readerFailed {
        let count = min(Int(first) + 1, input.count - offset)
        do {
            try channel.writeInbound(ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: input[offset..<offset + count])))
        } catch {
            readerFailed = true
        }
        offset += count
    }
    var frames: [Frame] = []
    var joining = false
    while let piece = try? channel.readInbound(as: Frame.self) {
        precondition(!piece.continues || piece.kind.carriesBytes, "only bytes come in pieces")
        if joining {
            precondition(frames[frames.count - 1].kind == piece.kind && frames[frames.count - 1].stream == piece.stream)
            frames[frames.count - 1].payload.writeImmutableBuffer(piece.payload)
            frames[frames.count - 1].continues = piece.continues
        } else {
            frames.append(piece)
        }
        joining = piece.continues
    }
    if joining { frames.removeLast() }  // the input ended inside it
    precondition(frames == expected, "the reader's frames differ from the decoder's")
    precondition(readerFailed == decoderFailed, "one failed, the other did not")
    _ = try? channel.finish()
}

// SwiftPM links an executable's entry point as `<Target>_main`; hand control to libFuzzer's
// driver from there.
@_cdecl("ProtocolFuzzer_main")
public func protocolFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return llvmFuzzerRunDriver(&argc, &argv, fuzz)
}

@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt
