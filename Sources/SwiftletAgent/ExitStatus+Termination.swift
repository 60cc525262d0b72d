import SwiftletPOSIX
import SwiftletProtocol

extension ExitStatus {
    /// How a process the agent waited for ended, as the protocol tells it.
    init(_ termination: ChildReaper.Termination) {
        switch termination {
        case .exited(let code): self.init(code: code)
        case .signaled(let signal): self = .killed(by: signal)
        }
    }
}
