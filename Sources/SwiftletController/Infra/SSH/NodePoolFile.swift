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
        /// An address ssh would read as an option (`-oProxyCommand=...`) is refused.
        func hostAddress(_ address: String, of place: String) throws -> String {
            guard !address.isEmpty, !address.hasPrefix("-"), !address.contains(where: \.isWhitespace) else {
                throw ControllerError("\(path): \(place): '\(address)' is not a host address")
            }
            return address
        }
        /// A string field, or nil when absent; anything else is an error, not silently the default.
        func word(_ value: Any?, _ field: String, of place: String) throws -> String? {
            guard let value else { return nil }
            guard let text = value as? String, !text.hasPrefix("-") else {
                throw ControllerError("\(path): \(place): '\(field)' must be a name, not \(value)")
            }
            return text
        }
        func portNumber(_ value: Any?, of place: String) throws -> Int? {
            guard let value else { return nil }
            guard let port = value as? Int, (1...65535).contains(port) else {
                throw ControllerError("\(path): \(place): port must be a number from 1 to 65535, not \(value)")
            }
            return port
        }
        var pools: [String: [SSHHost]] = [:]
        for (name, value) in mapping {
            guard let pool = value as? [String: Any], let hosts = pool["hosts"] as? [Any] else {
                throw ControllerError("\(path): pool '\(name)' needs a 'hosts' list")
            }
            if pool["password"] != nil {
                throw ControllerError("\(path): pool '\(name)': password authentication is not supported; use identity_file")
            }
            let defaultUser = try word(pool["user"], "user", of: "pool '\(name)'")
            let defaultIdentity = try word(pool["identity_file"], "identity_file", of: "pool '\(name)'").map(expandTilde)
            let defaultPort = try portNumber(pool["port"], of: "pool '\(name)'")
            pools[name] = try hosts.enumerated().map { index, entry in
                if let address = entry as? String {
                    let address = try hostAddress(address, of: "pool '\(name)'")
                    return SSHHost(address: address, user: defaultUser, port: defaultPort, identityFile: defaultIdentity)
                }
                guard let host = entry as? [String: Any], let ip = host["ip"] as? String else {
                    throw ControllerError("\(path): pool '\(name)' host \(index + 1): expected an address or a mapping with 'ip'")
                }
                let place = "pool '\(name)' host \(ip)"
                if host["password"] != nil {
                    throw ControllerError("\(path): \(place): password authentication is not supported; use identity_file")
                }
                return SSHHost(
                    address: try hostAddress(ip, of: "pool '\(name)'"),
                    user: try word(host["user"], "user", of: place) ?? defaultUser,
                    port: try portNumber(host["port"], of: place) ?? defaultPort,
                    identityFile: try word(host["identity_file"], "identity_file", of: place).map(expandTilde) ?? defaultIdentity
                )
            }
        }
        return NodePoolFile(pools: pools)
    }
}

func expandTilde(_ path: String) -> String {
    path.hasPrefix("~/") ? Environment.home + path.dropFirst(1) : path
}
