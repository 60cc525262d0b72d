import NIOCore
import SwiftletProtocol

/// Feeds arbitrary bytes through everything that reads peer input: the preamble scanner, the
/// frame decoder, the connection state machine and every message decoder. Any trap is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
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
            _ = machine.received(Frame(kind: .hello, payload: Hello(role: "controller", buildID: "x", os: "linux", arch: "x86_64").payload), at: now)
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
    }
    _ = try? decoder.decodeLast(buffer: &frames, seenEOF: true)
    return 0
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
