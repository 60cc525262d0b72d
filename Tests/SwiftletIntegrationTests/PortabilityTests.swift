import Foundation
import SwiftletController
import SwiftletProtocol
import Testing

/// The static agent in hostile root file systems, driven by the controller through a command
/// transport: `scripts/portability-check.sh` prepares the roots (a bullseye without libstdc++
/// and libgcc_s, a busybox-only one; both with a hostile nsswitch.conf) and names them in
/// `$SWIFTLET_PORTABILITY_ROOTFS`. Without it the test says so and does nothing.
@Suite struct PortabilityTests {
    static let roots =
        ProcessInfo.processInfo.environment["SWIFTLET_PORTABILITY_ROOTFS"]?
        .split(separator: ":").map(String.init) ?? []

    static var prepared: Bool {
        if roots.isEmpty { print("SKIPPED portability: run scripts/portability-check.sh (needs root and debootstrap)") }
        return !roots.isEmpty
    }

    /// A node inside `root`: new mount and pid namespaces, /proc and /dev mounted, then
    /// `chroot --userspec=4242:4242` running the bootstrap snippet.
    static func node(in root: String, withProc: Bool = true) -> NodeAddress {
        let enter =
            (withProc ? "mount -t proc proc '\(root)/proc' && " : "") + "mount --rbind /dev '\(root)/dev' && "
            + "exec chroot --userspec=4242:4242 '\(root)' env HOME=/home/u /bin/sh -c \"$0\""
        return .command(argv: ["unshare", "--mount", "--pid", "--fork", "/bin/sh", "-c", enter], ip: "127.0.0.1")
    }

    @Test(.enabled(if: prepared), arguments: roots)
    func theStaticAgentServesAControllerInsideTheRoot(_ root: String) async throws {
        let home = try TestSupport.makeHome()
        let agent = ProcessInfo.processInfo.environment["SWIFTLET_PORTABILITY_AGENT"] ?? TestSupport.agentPath
        let binary = try AgentBinary.locate(home: home, path: agent)
        let connector = NodeConnector(home: home, binary: binary, handshakeTimeout: .seconds(60))
        let session = try await connector.connect(to: Self.node(in: root), name: "node 0 (\(root))")
        let result = try await session.run(
            ExecRequest(command: "echo hello from $(id -u); cat /etc/nsswitch.conf | head -n1", workingDirectory: "~")
        )
        let selfTest = try await session.run(ExecRequest(command: "~/.swiftlet/agent/*/swiftlet-agent self-test", workingDirectory: "~"))
        await session.close()
        #expect(result.status.code == 0, "\(result.stderr)")
        #expect(result.stdout == "hello from 4242\npasswd: compat\n")
        #expect(selfTest.status.code == 0, "\(selfTest.stdout)")
        #expect(selfTest.stdout.contains("ok   nss: pinned to files/dns; uid 4242 has no passwd entry"))
    }

    @Test(.enabled(if: prepared), arguments: roots)
    func aNodeWithoutProcIsToldApart(_ root: String) async throws {
        let home = try TestSupport.makeHome()
        let agent = ProcessInfo.processInfo.environment["SWIFTLET_PORTABILITY_AGENT"] ?? TestSupport.agentPath
        let connector = NodeConnector(home: home, binary: try AgentBinary.locate(home: home, path: agent), handshakeTimeout: .seconds(60))
        await #expect {
            _ = try await connector.connect(to: Self.node(in: root, withProc: false), name: "node 0 (chroot)")
        } throws: { error in
            "\(error)" == "node 0 (chroot): bootstrap (proc): /proc is not mounted; the agent needs it"
        }
    }
}
