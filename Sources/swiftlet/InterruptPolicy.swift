import SwiftletController
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// What Ctrl-C means for a command, decided here for all of them; the CLI is the only owner of
/// the process's signals, and reads them as a sequence beside the command's work.
enum InterruptPolicy: Sendable {
    /// `launch` and `exec`, attached: the first Ctrl-C detaches (the job goes on on the nodes,
    /// held by a supervisor on this machine where it needs one: a setup in progress, a gang);
    /// before anything started it just ends the command. The second Ctrl-C leaves at once.
    case detach(DetachRequest)
    /// `logs` (and the commands that only read): Ctrl-C stops the command at once; nothing on
    /// the nodes changes (a followed job goes on).
    case leave

    /// Runs `work` under the policy and returns what it returns.
    func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                await handleInterrupts()
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            preconditionFailure("the command's work ended without a result")
        }
    }

    private func handleInterrupts() async {
        var interrupts = 0
        for await _ in await UnixSignalsSequence(trapping: .sigint) {
            interrupts += 1
            switch self {
            case .detach(let request):
                // The run carries the detach out and returns; nothing to do here.
                if interrupts == 1, request.fire() { continue }
                Terminal.err(
                    interrupts == 1
                        ? "\nInterrupted before the job started.\n"
                        : "\nLeft at once; whatever runs goes on on the cluster ('swiftlet logs' shows it).\n"
                )
                exit(130)
            case .leave:
                exit(130)
            }
        }
    }
}
