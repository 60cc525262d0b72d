import Foundation
import SwiftletPOSIX
import Testing

@testable import SwiftletController

/// How a transport that died before the agent spoke is explained, on the exact text real
/// programs print (captured from bash, dash and OpenSSH 9.2).
@Suite struct TransportFailureTests {
    let host = NodeAddress.ssh(SSHHost(address: "10.0.0.9", user: "root"))

    func explain(_ address: NodeAddress, _ termination: ChildReaper.Termination?, _ stderr: String) -> String {
        TransportFailure.classify(
            node: "node 3 (10.0.0.9)",
            address: address,
            exitStatus: termination,
            stderr: stderr,
            underlying: ControllerError("closed")
        ).description
    }

    @Test func aNodeWithoutBinShIsNamed() {
        #expect(
            explain(host, .exited(127), "bash: /bin/sh: No such file or directory\n")
                == "node 3 (10.0.0.9): bootstrap: the node has no /bin/sh: bash: /bin/sh: No such file or directory"
        )
        #expect(
            explain(.local(home: "/x"), .exited(127), "sh: 1: exec: /bin/sh: not found\n")
                .hasPrefix("node 3 (10.0.0.9): bootstrap: the node has no /bin/sh")
        )
    }

    @Test func sshsOwnFailuresAreTold() {
        #expect(
            explain(host, .exited(255), "ssh: connect to host 10.0.0.9 port 22: Connection refused\n")
                == "node 3 (10.0.0.9): connect: host unreachable: ssh: connect to host 10.0.0.9 port 22: Connection refused"
        )
        #expect(
            explain(host, .exited(255), "root@10.0.0.9: Permission denied (publickey).\n")
                == "node 3 (10.0.0.9): connect: authentication refused: root@10.0.0.9: Permission denied (publickey)."
        )
        #expect(
            explain(host, .exited(255), "ssh: Could not resolve hostname gpu-7: Name or service not known\n")
                .contains("host unreachable")
        )
    }

    @Test func aNoexecHomeIsSuspectedFromExitCode126() {
        #expect(
            explain(host, .exited(126), "sh: 12: /root/.swiftlet/agent/ab/swiftlet-agent: Permission denied\n")
                .hasPrefix("node 3 (10.0.0.9): bootstrap: cannot execute the agent (is the home directory mounted noexec?)")
        )
    }
}

/// The agent binary's own command line.
@Suite struct AgentCommandTests {
    @Test func versionNamesTheAgentProtocolAndBuild() async throws {
        let result = try await TestSupport.shell("'\(TestSupport.agentPath)' version")
        let sha = try SHA256Digest.hex(ofFile: TestSupport.agentPath)
        #expect(result.code == 0)
        #expect(result.output == "swiftlet-agent 0.1.0 protocol 2-2 build \(sha) linux/\(SelfExecutable.machine)\n")
    }

    @Test func unknownCommandsPrintUsageAndFail() async throws {
        let result = try await TestSupport.shell("'\(TestSupport.agentPath)' serve")
        #expect(result.code == 64)
        #expect(result.output.contains("usage: swiftlet-agent serve --stdio"))
    }
}
