import Foundation
@testable import SwiftletController
import Testing

/// The ssh transport asks for AES-GCM first where the CPU has AES instructions, unless the
/// user's ssh configuration chooses ciphers; a server that refuses it still connects.
@Suite struct SSHCipherPreferenceTests {
    @Test func aesInstructionsAreReadFromCPUInfo() {
        #expect(SSHCipherPreference.cpuHasAES(cpuinfo: "processor\t: 0\nflags\t\t: fpu vme sse2 aes avx2\n"))
        #expect(SSHCipherPreference.cpuHasAES(cpuinfo: "Features\t: fp asimd evtstrm aes pmull sha1\n"))
        #expect(!SSHCipherPreference.cpuHasAES(cpuinfo: "flags\t\t: fpu vme sse2 avx2\nbugs\t\t: aes\n"))
        #expect(!SSHCipherPreference.cpuHasAES(cpuinfo: ""))
    }

    @Test func thePreferenceNeedsAESAndNoCiphersOfTheUser() {
        #expect(SSHCipherPreference.options(cpuHasAES: true, configured: false) == ["-o", "Ciphers=\(SSHCipherPreference.aesFirst)"])
        #expect(SSHCipherPreference.options(cpuHasAES: false, configured: false).isEmpty)
        #expect(SSHCipherPreference.options(cpuHasAES: true, configured: true).isEmpty)
    }

    @Test func ciphersAnywhereInTheConfigurationOrWhatItIncludesCount() throws {
        let directory = try TestSupport.makeHome().path + "/ssh"
        try FileManager.default.createDirectory(atPath: directory + "/config.d", withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) throws {
            try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
        }
        func names(_ name: String) -> Bool {
            SSHCipherPreference.configurationNamesCiphers(at: "\(directory)/\(name)", relativeTo: directory)
        }
        try write("plain", "Host *\n    ServerAliveInterval 5\n# Ciphers aes128-ctr\n")
        try write("direct", "Host build\n    CIPHERS=aes256-ctr\n")
        try write("config.d/50-policy.conf", "\tCiphers aes256-gcm@openssh.com\n")
        try write("relative", "Include config.d/*.conf\n")
        try write("absolute", "Include \(directory)/config.d/50-policy.conf\n")
        try write("missing", "Include config.d/none-*.conf /nonexistent\n")
        try write("loop", "Include \(directory)/loop\n")
        #expect(!names("plain"))
        #expect(names("direct"))
        #expect(names("relative"))
        #expect(names("absolute"))
        #expect(!names("missing"))
        #expect(!names("loop"))
        #expect(!names("absent"))
    }

    /// Test-bed host 5 accepts ChaCha20, AES-256-GCM and AES-256-CTR, and logs what each
    /// connection agrees on: plain ssh takes ChaCha20, its first choice; Swiftlet takes
    /// AES-256-GCM, its first choice the server accepts.
    @Test(.enabled(if: Testbed.available))
    func theTransportAgreesOnAESGCMWithAServerThatRefusesItsFirstChoice() async throws {
        let log = Testbed.state + "/h5/sshd.log"
        func agreed(_ cipher: String) throws -> Int {
            try String(contentsOfFile: log, encoding: .utf8).components(separatedBy: "client->server cipher: \(cipher) ").count - 1
        }
        let expected = SSHCipherPreference.options.isEmpty ? "chacha20-poly1305@openssh.com" : "aes256-gcm@openssh.com"
        let before = try agreed(expected)
        // A home of its own: a new ControlMaster, so a new key exchange.
        let home = try TestSupport.makeHome()
        let session = try await TestSupport.connector(home: home).connect(to: .ssh(Testbed.host(5)), name: "node")
        let result = try await session.run("echo reached")
        await session.close()
        #expect(result.stdout == "reached\n")
        #expect(try agreed(expected) > before)
    }
}

/// A controller home whose path has a space still reaches SSH nodes (ssh splits the paths it is
/// given in options at spaces unless they are quoted).
@Suite struct SpacedHomeTests {
    @Test(.enabled(if: Testbed.available))
    func aHomeWithASpaceReachesSSHNodes() async throws {
        let base = try TestSupport.makeHome()
        let home = SwiftletHome(path: base.path + "/my home")
        try FileManager.default.createDirectory(atPath: home.path, withIntermediateDirectories: true)
        let session = try await TestSupport.connector(home: home).connect(to: .ssh(Testbed.host(2)), name: "node")
        let result = try await session.run("echo reached")
        await session.close()
        #expect(result.stdout == "reached\n")
        #expect(FileManager.default.fileExists(atPath: home.sshControl + "/known_hosts"))
    }
}
