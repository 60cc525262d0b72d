/// The registry login a task asks for with SkyPilot's `SKYPILOT_DOCKER_USERNAME`,
/// `SKYPILOT_DOCKER_PASSWORD` and `SKYPILOT_DOCKER_SERVER` (from `envs`, `secrets`, `--env` or
/// `--secret`). Every form SkyPilot documents is a username, a password and a server: Docker Hub,
/// a registry with a port, ECR (`AWS` and a token), Google (`_json_key` or `_json_key_base64`
/// with the key as the password), NGC (`$oauthtoken` at `nvcr.io`).
///
/// The password leaves only as the bytes for `login --password-stdin`: it is in no description,
/// error, argv or environment this type makes.
public struct RegistryLogin: Sendable, Equatable, CustomStringConvertible {
    public static let usernameKey = "SKYPILOT_DOCKER_USERNAME"
    public static let passwordKey = "SKYPILOT_DOCKER_PASSWORD"
    public static let serverKey = "SKYPILOT_DOCKER_SERVER"

    public var server: String
    public var username: String
    private var password: String

    public init(server: String, username: String, password: String) {
        self.server = server
        self.username = username
        self.password = password
    }

    /// The login `values` ask for (a task's envs and secrets, merged); nil when they name none
    /// of the three. Throws when only some are given, naming the missing ones.
    public init?(_ values: [String: String]) throws(ControllerError) {
        let keys = [Self.usernameKey, Self.passwordKey, Self.serverKey]
        let given = keys.filter { !(values[$0] ?? "").isEmpty }
        if given.isEmpty { return nil }
        guard given.count == keys.count else {
            let missing = keys.filter { !given.contains($0) }.joined(separator: " and ")
            throw ControllerError("a registry login needs \(keys.joined(separator: ", ")); \(missing) not given")
        }
        self.init(server: values[Self.serverKey]!, username: values[Self.usernameKey]!, password: values[Self.passwordKey]!)
    }

    /// What `login --password-stdin` reads.
    public var passwordForStandardInput: [UInt8] { Array(password.utf8) }

    /// `text` with the password replaced, for a runtime's message shown to a person.
    public func redacting(_ text: String) -> String {
        password.isEmpty ? text : text.replacingOccurrences(of: password, with: "********")
    }

    public var description: String { "registry \(server) as \(username)" }
}
