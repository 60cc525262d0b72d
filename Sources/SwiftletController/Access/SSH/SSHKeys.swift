import Crypto
import Foundation
import NIOSSH
import SwiftletPOSIX

/// The keys of `ssh CLUSTER`: one client key pair per controller home (`ssh/id_ed25519`, made
/// with `ssh-keygen` on first use; the proxy accepts only it), and one host key per cluster
/// (`ssh/hosts/CLUSTER`, 32 private bytes), which `ssh/known_hosts` pins. All private, 0600 in
/// 0700 directories.
public struct SSHKeys: Sendable {
    public let home: SwiftletHome

    public init(home: SwiftletHome) {
        self.home = home
    }

    public var directory: String { home.path + "/ssh" }
    public var clientKey: String { directory + "/id_ed25519" }
    public var knownHosts: String { directory + "/known_hosts" }
    /// Where the cluster's host key is kept; the name is checked first (it becomes a path).
    func hostKeyPath(cluster: String) throws -> String {
        try ClusterStore.validate(name: cluster)
        return directory + "/hosts/" + cluster
    }

    /// The client key's public half, made first when missing.
    public func clientPublicKey() throws -> NIOSSHPublicKey {
        try FileSystem.createDirectories(directory)
        if !FileManager.default.fileExists(atPath: clientKey + ".pub") {
            let keygen = Process()
            keygen.executableURL = URL(fileURLWithPath: try Executables.find("ssh-keygen", install: "apt-get install openssh-client"))
            keygen.arguments = ["-q", "-t", "ed25519", "-N", "", "-C", "swiftlet", "-f", clientKey]
            keygen.standardInput = FileHandle.nullDevice
            keygen.standardOutput = FileHandle.nullDevice
            try keygen.run()
            keygen.waitUntilExit()
            guard keygen.terminationStatus == 0 else { throw ControllerError("ssh-keygen could not make \(clientKey)") }
        }
        let line = try String(contentsOfFile: clientKey + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try NIOSSHPublicKey(openSSHPublicKey: line)
        } catch {
            throw ControllerError("\(clientKey).pub is not an OpenSSH public key: \(error)")
        }
    }

    /// The cluster's host key, made first when missing.
    public func hostKey(cluster: String) throws -> Curve25519.Signing.PrivateKey {
        let path = try hostKeyPath(cluster: cluster)
        if let bytes = FileManager.default.contents(atPath: path), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes) {
            return key
        }
        try FileSystem.createDirectories(directory + "/hosts")
        let key = Curve25519.Signing.PrivateKey()
        try AtomicFile.write(Array(key.rawRepresentation), to: path, mode: 0o600)
        return key
    }

    /// Forgets the cluster's host key (`down`).
    public func removeHostKey(cluster: String) {
        guard let path = try? hostKeyPath(cluster: cluster) else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The `known_hosts` line that pins `cluster`'s host key under its alias.
    func knownHostsLine(cluster: String) throws -> String {
        let publicKey = NIOSSHPrivateKey(ed25519Key: try hostKey(cluster: cluster)).publicKey
        return "\(SSHConfigFile.hostKeyAlias(cluster)) \(String(openSSHPublicKey: publicKey))"
    }
}
