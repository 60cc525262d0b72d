import Foundation
import NIOCore
import SwiftletController
import SwiftletPOSIX
import SwiftletProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A command on a node, over a real agent, through each transport.
@Suite struct ProcessExecutionTests {
    func withNode<T: Sendable>(_ kind: TransportKind, _ body: (NodeSession) async throws -> T) async throws -> T {
        let home = try TestSupport.makeHome()
        let connector = try TestSupport.connector(home: home)
        return try await connector.withSession(to: kind.address(home: home), name: "node 0 (\(kind))", body)
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func exitCodesPassThrough(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let failing = try await node.run("exit 7")
            let succeeding = try await node.run("true")
            #expect(failing.status == ExitStatus(code: 7))
            #expect(succeeding.status == ExitStatus(code: 0))
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func aProcessKilledByASignalIsReportedAsSuch(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let result = try await node.run("kill -KILL $$")
            #expect(result.status == ExitStatus(code: 137, signal: 9))
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func stdoutAndStderrStaySeparate(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let result = try await node.run("echo out; echo err >&2; echo out2")
            #expect(result.stdout == "out\nout2\n")
            #expect(result.stderr == "err\n")
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func environmentAndWorkingDirectoryAreApplied(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let result = try await node.run(
                "printf '%s|%s|' \"$GREETING\" \"$EMPTY\"; pwd",
                environment: ["GREETING": "two words; $(not expanded)", "EMPTY": ""]
            )
            #expect(result.stdout.hasPrefix("two words; $(not expanded)||"))
            #expect(result.stdout.hasSuffix("/sky_workdir\n"))
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func stdinReachesTheProcessAndEndsWithEOF(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let result = try await node.run("tr a-z A-Z; echo end", stdin: "hello\nworld\n")
            #expect(result.stdout == "HELLO\nWORLD\nend\n")
        }
    }

    /// More stdin than a pipe holds, all sent before the process reads any of it: the end of
    /// stdin must not cut the bytes still on their way to the pipe (it cut all but the first
    /// 64 KiB, silently, with exit code 0).
    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func stdinArrivesWholeAndEndsWithEOF(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let input = String((0..<300_000).map { _ in "abcdefghij\n".randomElement()! })
            let keepAndCount = "sleep 1; f=$(mktemp); cat > \"$f\"; wc -c < \"$f\"; sha256sum < \"$f\"; rm -f \"$f\""
            let result = try await node.run(keepAndCount, stdin: input)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "300000")
            #expect(lines.last?.hasPrefix(SHA256Digest.hex(of: Array(input.utf8))) == true)
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func largeOutputArrivesWholeUnderFlowControl(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            // About 1.3 MB: more than one credit window, so the agent must wait for grants.
            let result = try await node.run("seq 1 200000")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 200_000)
            #expect(lines.last == "200000")
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func sigtermReachesTheWholeProcessGroup(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let process = try await RemoteProcess.start(
                ExecRequest(command: "sleep 300 & echo $!; wait"),
                on: node
            )
            var childPID = ""
            var signalled = false
            let status = try await process.wait { event in
                guard case .stdout(let bytes) = event, !signalled else { return }
                childPID = String(buffer: bytes).trimmingCharacters(in: .whitespacesAndNewlines)
                signalled = true
                try? await process.signal(SIGTERM)
            }
            #expect(status == ExitStatus(code: 143, signal: 15))
            #expect(!childPID.isEmpty)
            // The background `sleep` was in the group too, so it is gone as well.
            // (An orphan that died may linger as a zombie until init reaps it; that counts as gone.)
            let probe = try await node.run(
                """
                for i in $(seq 50); do
                  state=$(awk '{print $3}' /proc/\(childPID)/stat 2>/dev/null)
                  if [ -z "$state" ] || [ "$state" = Z ]; then echo gone; exit; fi
                  sleep 0.05
                done
                echo alive
                """
            )
            #expect(probe.stdout == "gone\n")
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func sigintIsDeliveredToTheForegroundCommand(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let process = try await RemoteProcess.start(
                ExecRequest(command: "trap 'echo interrupted; exit 42' INT; echo ready; while :; do sleep 0.05; done"),
                on: node
            )
            var output = ""
            let status = try await process.wait { event in
                guard case .stdout(let bytes) = event else { return }
                output += String(buffer: bytes)
                if output == "ready\n" { try? await process.signal(SIGINT) }
            }
            #expect(output == "ready\ninterrupted\n")
            #expect(status.code == 42)
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func aCommandThatCannotStartGivesAClearError(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            _ = try await node.run("touch ~/not-a-directory")
            await #expect {
                _ = try await node.run(ExecRequest(command: "true", workingDirectory: "~/not-a-directory/sub"))
            } throws: { error in
                let failure = error as? StreamFailure
                return failure?.message.contains("working directory") == true && failure?.message.contains("not-a-directory") == true
            }
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func manyStreamsRunConcurrentlyOnOneConnection(_ kind: TransportKind) async throws {
        try await withNode(kind) { node in
            let outputs = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 {
                    group.addTask { try await node.run("sleep 0.2; echo \(index)").stdout }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outputs.sorted() == (0..<8).map { "\($0)\n" })
        }
    }

    @Test(arguments: TransportKind.allCases.filter(\.usable))
    func aLostConnectionStopsWhatShouldNotOutliveIt(_ kind: TransportKind) async throws {
        let home = try TestSupport.makeHome()
        let session = try await TestSupport.connector(home: home).connect(to: kind.address(home: home), name: "node")
        let marker = "664.\(Int.random(in: 100...999))"
        // One child ignores SIGTERM: after the grace period it still goes.
        let process = try await RemoteProcess.start(
            ExecRequest(command: "(trap '' TERM; exec sleep \(marker)) & sleep \(marker); wait"),
            on: session
        )
        _ = try await process.waitForStart()
        try await TestSupport.waitForProcesses(matching: "^sleep \(marker)", count: 2)
        await session.close()
        #expect(try await TestSupport.processesLeft(matching: "^sleep \(marker)", patience: .seconds(10)) == 0)
    }
}
