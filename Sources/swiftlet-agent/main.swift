import SwiftletAgent

#if canImport(Glibc)
    import Glibc
#endif

exit(AgentMain.run(Array(CommandLine.arguments.dropFirst())))
