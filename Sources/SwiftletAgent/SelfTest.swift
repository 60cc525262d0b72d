import SwiftletPOSIX

#if canImport(Glibc)
    import Glibc
#endif

/// `swiftlet-agent self-test`: checks, on the node itself, what the agent relies on, and says
/// which check failed. Used by the portability checks in hostile root file systems.
enum SelfTest {
    static func run() -> Int32 {
        var failures = 0
        func check(_ name: String, _ body: () throws -> String) {
            do {
                writeOutput("ok   \(name): \(try body())\n")
            } catch {
                failures += 1
                writeOutput("FAIL \(name): \(error)\n")
            }
        }
        check("nss") {
            let refused = NSSLookupPinning.apply()
            guard refused.isEmpty else { throw SystemError(errno: EINVAL, "glibc refused to pin \(refused)") }
            // A lookup through the pinned modules; a host module loaded here would crash a static binary.
            let entry = getpwuid(getuid())
            return entry.map { "pinned to files/dns; uid \(getuid()) is \(String(cString: $0.pointee.pw_name))" }
                ?? "pinned to files/dns; uid \(getuid()) has no passwd entry"
        }
        check("build") { try AgentBuild.buildID() }
        check("home") {
            let directory = Environment.home + "/.swiftlet/self-test-\(getpid())"
            try FileSystem.createDirectories(directory)
            rmdir(directory)
            return "\(Environment.home) is writable"
        }
        check("spawn") {
            let pipes = try ProcessSpawner.spawn(["/bin/sh", "-c", "exit 3"], environment: Environment.all(), workingDirectory: nil)
            close(pipes.stdin)
            close(pipes.stdout)
            close(pipes.stderr)
            var status: Int32 = 0
            while waitpid(pipes.pid, &status, 0) < 0 && errno == EINTR {}
            let code = (status >> 8) & 0xff
            guard code == 3 else { throw SystemError(errno: ECHILD, "/bin/sh -c 'exit 3' ended with status \(status)") }
            return "/bin/sh runs in its own session, exit codes come back"
        }
        return failures == 0 ? 0 : 1
    }
}
