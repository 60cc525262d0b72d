import Foundation
import SwiftletPOSIX
import Yams

/// `~/.swiftlet/ssh_node_pools.yaml`, in SkyPilot's format:
///
/// ```yaml
/// my-pool:
///   user: ubuntu                 # pool-level defaults
///   identity_file: ~/.ssh/id_ed25519
///   hosts:
///     - 10.0.0.1
///     - ip: 10.0.0.2
///       user: root
///       port: 2222
/// ```
public struct NodePoolFile: Sendable {
    public var pools: [String: [SSHHost]]

    public init(pools: [String: [SSHHost]]) {
        self.pools = pools
    }

    public static func load(path: String) throws -> NodePoolFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ControllerError("cannot read node pools file \(path); create it to use --infra ssh/POOL")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> NodePoolFile {
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch let error as YamlError {
            throw ControllerError("\(path): \(error)")
        }
        guard let mapping = root as? [String: Any] else {
            throw ControllerError("\(path): expected a mapping of pool names to pools")
        }
        var pools: [String: [SSHHost]] = [:]
        for (name, value) in mapping {
            guard let pool = value as? [String: Any], let hosts = pool["hosts"] as? [Any] else {
                throw ControllerError("\(path): pool '\(name)' needs a 'hosts' list")
            }
            if pool["password"] != nil {
                throw ControllerError("\(path): pool '\(name)': password authentication is not supported; use identity_file")
            }
            let defaultUser = pool["user"] as? String
            let defaultIdentity = (pool["identity_file"] as? String).map(expandTilde)
            let defaultPort = pool["port"] as? Int
            pools[name] = try hosts.enumerated().map { index, entry in
                if let address = entry as? String {
                    return SSHHost(address: address, user: defaultUser, port: defaultPort, identityFile: defaultIdentity)
                }
                guard let host = entry as? [String: Any], let ip = host["ip"] as? String else {
                    throw ControllerError("\(path): pool '\(name)' host \(index + 1): expected an address or a mapping with 'ip'")
                }
                if host["password"] != nil {
                    throw ControllerError("\(path): pool '\(name)' host \(ip): password authentication is not supported; use identity_file")
                }
                return SSHHost(
                    address: ip,
                    user: host["user"] as? String ?? defaultUser,
                    port: host["port"] as? Int ?? defaultPort,
                    identityFile: (host["identity_file"] as? String).map(expandTilde) ?? defaultIdentity
                )
            }
        }
        return NodePoolFile(pools: pools)
    }
}

func expandTilde(_ path: String) -> String {
    path.hasPrefix("~/") ? Environment.home + path.dropFirst(1) : path
}
