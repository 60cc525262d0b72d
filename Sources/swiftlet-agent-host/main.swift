import SwiftletAgent
import SwiftletJournal

#if canImport(Glibc)
    import Glibc
#endif

// The agent as the host package installs it: the same agent, linked with libsystemd so the
// daemon's job events reach journald with their fields. (The static `swiftlet-agent` copied into
// pods and containers has no libsystemd; it speaks sd_notify natively, as this one does.)
AgentEvent.sink = JournalEvents.send
exit(AgentMain.run(Array(CommandLine.arguments.dropFirst())))
