import ArgumentParser
import Dispatch
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

// A synchronous entry point that bridges to async only for the commands that need it: an
// async `@main` costs about 25 ms per start in a statically linked binary, a tenth of a warm
// `swiftlet exec`. The process always leaves through `exit`.
// Signals a parent left blocked are not this process's to keep blocked: Ctrl-C, SIGTERM and
// SIGHUP must reach its commands (a test runner's threads hand their mask to the processes
// they spawn). Every thread started from here on inherits the empty mask.
var unblocked = sigset_t()
sigemptyset(&unblocked)
sigprocmask(SIG_SETMASK, &unblocked, nil)
NSSLookupPinning.apply()
HeapTuning.apply()
// A pipe on stdout or stderr gets a 1 MiB buffer: a job's prefixed lines (several times the
// bytes the node sent) would otherwise wake the reader, and wait for it, every 64 KiB.
PipeCapacity.grow(1)
PipeCapacity.grow(2)

/// A command's outcome, carried out of its task.
struct Outcome: Sendable {
    var code: Int32 = 0
    var error: (any Error)?
}

/// Runs `body` to its end on the cooperative pool, from this synchronous entry point.
func runToEnd(_ body: @escaping @Sendable () async throws -> Int32) -> Outcome {
    let outcome = Locked(Outcome())
    let done = DispatchSemaphore(value: 0)
    // Detached: top-level code is on the main actor, which the waiting main thread holds.
    // (Not dispatchMain: it ends the main thread with pthread_exit, whose unwinding costs
    // tens of milliseconds in a static binary.)
    Task.detached {
        do {
            let code = try await body()
            outcome.withLock { $0.code = code }
        } catch {
            outcome.withLock { $0.error = error }
        }
        done.signal()
    }
    done.wait()
    return outcome.withLock { $0 }
}

/// Leaves with ArgumentParser's message for `error`; a usage error exits 2, as click's do in
/// SkyPilot's CLI (ArgumentParser's own code for it is 64).
func leave(withError error: any Error) -> Never {
    guard Swiftlet.exitCode(for: error) == ExitCode.validationFailure else { Swiftlet.exit(withError: error) }
    let message = Swiftlet.fullMessage(for: error) + "\n"
    _ = Array(message.utf8).withUnsafeBytes { FileDescriptorIO.writeAll(2, $0) }
    exit(2)
}

do {
    _ = try SwiftletConfiguration.current()
    try TextArguments.checkCommandLine()
} catch {
    _ = Array("error: \(error)\n".utf8).withUnsafeBytes { FileDescriptorIO.writeAll(2, $0) }
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
// `exec CLUSTER -- COMMAND`, the hot path, skips ArgumentParser (see PlainExec).
if let plain = PlainExec(arguments: arguments) {
    let outcome = runToEnd { try await plain.run() }
    if let error = outcome.error { leave(withError: error) }
    exit(outcome.code)
}
do {
    let command = try Swiftlet.parse(commandLine: arguments)
    if let asyncCommand = command as? any AsyncParsableCommand {
        nonisolated(unsafe) var parsed = asyncCommand
        let outcome = runToEnd {
            try await parsed.run()
            return 0
        }
        // A command's exit code leaves directly: ArgumentParser's exit path builds its help
        // machinery even for ExitCode(0).
        if let code = outcome.error as? ExitCode { exit(code.rawValue) }
        if let error = outcome.error { leave(withError: error) }
    } else {
        var command = command
        try command.run()
    }
    exit(0)
} catch {
    leave(withError: error)
}
