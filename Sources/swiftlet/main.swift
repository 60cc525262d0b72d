import ArgumentParser
import Dispatch
import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

// A synchronous entry point that bridges to async only for the commands that need it: an
// async `@main` costs about 25 ms per start in a statically linked binary, a tenth of a warm
// `swiftlet exec`. The process always leaves through `exit`.
NSSLookupPinning.apply()
HeapTuning.apply()
// A pipe on stdout or stderr gets a 1 MiB buffer: a job's prefixed lines (several times the
// bytes the node sent) would otherwise wake the reader, and wait for it, every 64 KiB.
PipeCapacity.grow(1)
PipeCapacity.grow(2)

/// Carries the parsed command into the task and its outcome back.
final class CommandBox: @unchecked Sendable {
    var command: any AsyncParsableCommand
    var error: (any Error)?

    init(_ command: any AsyncParsableCommand) {
        self.command = command
    }
}

do {
    var command = try Swiftlet.parse(commandLine: Array(CommandLine.arguments.dropFirst()))
    if let asyncCommand = command as? any AsyncParsableCommand {
        let box = CommandBox(asyncCommand)
        let done = DispatchSemaphore(value: 0)
        // Detached: top-level code is on the main actor, which the waiting main thread holds.
        // (Not dispatchMain: it ends the main thread with pthread_exit, whose unwinding costs
        // tens of milliseconds in a static binary.)
        Task.detached {
            do {
                try await box.command.run()
            } catch {
                box.error = error
            }
            done.signal()
        }
        done.wait()
        // A command's exit code leaves directly: ArgumentParser's exit path builds its help
        // machinery even for ExitCode(0).
        if let code = box.error as? ExitCode { exit(code.rawValue) }
        if let error = box.error { Swiftlet.exit(withError: error) }
    } else {
        try command.run()
    }
    exit(0)
} catch {
    Swiftlet.exit(withError: error)
}
