import Foundation
import NIOCore
import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import SwiftletTransport
import Testing

/// Paths and helpers shared by the integration tests.
enum TestSupport {
    static let packageRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// The built binaries: beside the test bundle (`.build/debug`).
    static let buildDirectory: String = {
        FileSystem.parent(of: (try? SelfExecutable.path()) ?? packageRoot + "/.build/debug/x")
    }()

    static var agentPath: String { buildDirectory + "/swiftlet-agent" }
    static var controllerPath: String { buildDirectory + "/swiftlet" }

    /// A fresh `$SWIFTLET_HOME` in a temp directory.
    static func makeHome() throws -> SwiftletHome {
        let path = homesOfThisRun + "/" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return SwiftletHome(path: path)
    }

    /// Where this test process keeps its homes: `swiftlet-tests/<pid>` under the temp directory.
    /// Every home holds copies of the agent (one per local node), so the homes of earlier test
    /// processes that are gone are removed here, before this run adds its own.
    static let homesOfThisRun: String = {
        let root = NSTemporaryDirectory() + "swiftlet-tests"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            guard let pid = Int32(name), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: root + "/" + name)
        }
        return root + "/\(getpid())"
    }()

    static func agentBinary(home: SwiftletHome) throws -> AgentBinary {
        guard FileManager.default.isExecutableFile(atPath: agentPath) else {
            throw ControllerError("build the agent first: swift build (looked for \(agentPath))")
        }
        setenv("SWIFTLET_AGENT_BINARY", agentPath, 1)
        return try AgentBinary.locate(home: home)
    }

    /// A loaded CI machine took over a minute for a node's first bootstrap at the start of a
    /// run (dozens of tests each sending a 30 MB debug agent at once): the bound only catches a
    /// hang.
    static func connector(home: SwiftletHome, timing: PeerConnection.Timing = .init()) throws -> NodeConnector {
        NodeConnector(home: home, binary: try agentBinary(home: home), timing: timing, handshakeTimeout: .seconds(300))
    }

    /// How many processes whose command line matches `pattern` (a `pgrep -f` regex) are left
    /// after up to `patience`: killed processes take a moment to go.
    static func processesLeft(matching pattern: String, patience: Duration = .seconds(3)) async throws -> Int {
        let deadline = ContinuousClock.now + patience
        while true {
            let count = Int(try await shell("pgrep -cf '\(pattern)' || true").output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            if count == 0 || ContinuousClock.now >= deadline { return count }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Whether `condition` holds within `patience`, asked every 100 ms: a loaded machine gets
    /// its time, an unloaded one none.
    static func eventually(within patience: Duration = .seconds(60), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + patience
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(100))
        }
        return true
    }

    /// Waits until exactly `count` processes match `pattern`; throws once `patience` runs out,
    /// so that what a test does next (kill a node, say) never happens before what it waits for.
    static func waitForProcesses(matching pattern: String, count: Int, patience: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + patience
        var now = -1
        while ContinuousClock.now < deadline {
            now = Int(try await shell("pgrep -cf '\(pattern)' || true").output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            if now == count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ControllerError("\(now) processes match '\(pattern)' after \(patience), not \(count)")
    }

    /// Runs a shell command on a thread of its own: a test's async body must never block one of
    /// the cooperative pool's threads (two on these machines), which every test and every
    /// controller in this process shares.
    @discardableResult
    static func shell(_ command: String, environment: [String: String] = [:]) async throws -> (code: Int32, output: String) {
        try await BlockingThread.value { try shellBlocking(command, environment: environment) }
    }

    /// Copies an executable through `cp`, so the file is never open for writing in this
    /// process: a child another test forks meanwhile would inherit that descriptor, and running
    /// the copy would fail with "Text file busy".
    static func copyExecutable(_ source: String, to destination: String) throws {
        let copied = try shellBlocking("cp '\(source)' '\(destination)'")
        guard copied.code == 0 else { throw ControllerError("cp failed: \(copied.output)") }
    }

    /// Runs a shell command on this machine and returns its exit code and output.
    @discardableResult
    static func shellBlocking(_ command: String, environment: [String: String] = [:]) throws -> (code: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        // A launch adds its Include line to the ssh config a test names, never to this
        // machine's own ~/.ssh/config.
        var inherited = ProcessInfo.processInfo.environment
        inherited["SWIFTLET_SSH_CONFIG"] = "none"
        process.environment = inherited.merging(environment) { _, new in new }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// The network-namespace SSH test bed (`scripts/testbed.sh`), brought up once per test run.
enum Testbed {
    static let hostCount = 9
    static let state = ProcessInfo.processInfo.environment["SWIFTLET_TESTBED"] ?? "/tmp/swiftlet-testbed"

    /// Nil when the test bed is up; otherwise why it cannot be.
    static let unavailableReason: String? = {
        guard getuid() == 0 else { return "SSH test bed needs root (network namespaces)" }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            return "SSH test bed needs openssh-server (apt-get install openssh-server)"
        }
        do {
            let result = try TestSupport.shellBlocking("\(TestSupport.packageRoot)/scripts/testbed.sh up \(hostCount)")
            guard result.code == 0 else { return "scripts/testbed.sh up failed: \(result.output)" }
        } catch {
            return "cannot run scripts/testbed.sh: \(error)"
        }
        return nil
    }()

    /// False (the SSH tests are skipped) when the test bed cannot come up, unless the run requires
    /// it (`SWIFTLET_TESTBED_REQUIRED=1`, as `scripts/test.sh` sets as root): then the SSH tests
    /// run anyway and fail, naming the hosts they cannot reach, instead of passing by skipping.
    static var available: Bool {
        guard let reason = unavailableReason else { return true }
        let required = ProcessInfo.processInfo.environment["SWIFTLET_TESTBED_REQUIRED"] == "1"
        print("\(required ? "FAILING" : "SKIPPED") SSH tests: \(reason)")
        return required
    }

    static func host(_ index: Int) -> SSHHost {
        SSHHost(address: "10.213.0.\(10 + index)", user: "root", identityFile: state + "/client_key")
    }

    /// A node-pool file with one pool, `name`, of the given test-bed hosts.
    static func installPool(_ name: String, hosts: [Int], in home: SwiftletHome) throws {
        try FileManager.default.createDirectory(atPath: home.path, withIntermediateDirectories: true)
        let lines =
            ["\(name):", "  user: root", "  identity_file: \(state)/client_key", "  hosts:"]
            + hosts.map { "    - \(host($0).address)" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: home.nodePools, atomically: true, encoding: .utf8)
    }

    /// A node-pool file naming the test bed's hosts as pool `testbed`.
    static func installPool(in home: SwiftletHome) throws {
        try FileManager.default.createDirectory(atPath: home.path, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: state + "/ssh_node_pools.yaml", encoding: .utf8)
        try text.write(toFile: home.nodePools, atomically: true, encoding: .utf8)
    }
}

/// Which transport a test runs over.
enum TransportKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case local
    case ssh

    var testDescription: String { rawValue }

    var usable: Bool {
        self == .local || Testbed.available
    }

    func address(home: SwiftletHome, index: Int = 1) -> NodeAddress {
        switch self {
        case .local: .local(home: home.path + "/node\(index)")
        case .ssh: .ssh(Testbed.host(index))
        }
    }
}

/// Everything a process printed and how it ended.
struct ProcessResult {
    var stdout = ""
    var stderr = ""
    var pid = 0
    var status = ExitStatus(code: -1)
}

extension NodeSession {
    /// Runs `request`, sends `stdin` (then EOF), and collects its output.
    func run(_ request: ExecRequest, stdin: String? = nil) async throws -> ProcessResult {
        let process = try await RemoteProcess.start(request, on: self)
        if let stdin { try await process.writeStdin(ByteBuffer(string: stdin)) }
        try await process.closeStdin()
        var result = ProcessResult()
        result.status = try await process.wait { event in
            switch event {
            case .started(let pid): result.pid = pid
            case .pending, .admitted: break
            case .stdout(let bytes): result.stdout += String(buffer: bytes)
            case .stderr(let bytes): result.stderr += String(buffer: bytes)
            }
        }
        return result
    }

    func run(_ command: String, environment: [String: String] = [:], stdin: String? = nil) async throws -> ProcessResult {
        try await run(ExecRequest(command: command, workingDirectory: "~/sky_workdir", environment: environment), stdin: stdin)
    }
}
