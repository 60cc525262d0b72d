import SwiftletController
import Testing

/// SkyPilot's registry login variables and image names, read the way SkyPilot reads them, with
/// the password kept out of everything but the bytes for `login --password-stdin`.
@Suite struct RegistryLoginTests {
    let password = "s3cr3t-Pa55\"with 'quotes' and $dollars\nand a second line"

    @Test func everyFormSkyPilotDocumentsKeepsItsUsernameAndPasswordAsGiven() throws {
        let forms = [
            ("docker.io", "alice"), ("registry.example.com:5000", "bob"), ("123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS"),
            ("us-docker.pkg.dev", "_json_key"), ("gcr.io", "_json_key_base64"), ("nvcr.io", "$oauthtoken"),
        ]
        for (server, username) in forms {
            let login = try #require(
                try RegistryLogin([
                    RegistryLogin.serverKey: server, RegistryLogin.usernameKey: username, RegistryLogin.passwordKey: password,
                ])
            )
            #expect(login.username == username && login.server == server)
            #expect(login.passwordForStandardInput == Array(password.utf8))
            for runtime in ContainerRuntime.allCases {
                let argv = runtime.login(login)
                #expect(argv.contains(username) && argv.last == server && argv.contains("--password-stdin"))
                #expect(!argv.joined(separator: " ").contains("s3cr3t"), "the password is in \(runtime)'s argv")
            }
            #expect(!"\(login)".contains("s3cr3t"))
        }
    }

    @Test func aPartialLoginNamesWhatIsMissingAndNoValue() throws {
        #expect(try RegistryLogin(["PATH": "/usr/bin"]) == nil)
        #expect {
            _ = try RegistryLogin([RegistryLogin.passwordKey: password, RegistryLogin.usernameKey: "alice"])
        } throws: { error in
            let text = "\(error)"
            return text.contains("SKYPILOT_DOCKER_SERVER not given") && !text.contains("s3cr3t") && !text.contains("alice")
        }
    }

    @Test func anImageIsPrefixedWithTheLoginsServerOnce() throws {
        let login = RegistryLogin(server: "registry.example.com:5000", username: "bob", password: password)
        #expect(ContainerImage(imageID: "docker:ubuntu:22.04")?.reference == "ubuntu:22.04")
        #expect(ContainerImage(imageID: "docker:team/train:v2", login: login)?.reference == "registry.example.com:5000/team/train:v2")
        #expect(
            ContainerImage(imageID: "docker:registry.example.com:5000/team/train:v2", login: login)?.reference
                == "registry.example.com:5000/team/train:v2"
        )
        #expect(ContainerImage(imageID: "ami-0123456789") == nil)
        #expect(ContainerImage(imageID: "docker:") == nil)
        let image = try #require(ContainerImage(imageID: "docker:team/train:v2", login: login))
        let podmanPull = ContainerRuntime.podman.pull(image, authenticated: true)
        #expect(podmanPull == ["podman", "pull", "--authfile", "auth.json", image.reference])
        #expect(ContainerRuntime.docker.pull(image, authenticated: true) == ["docker", "--config", ".", "pull", image.reference])
        #expect(ContainerRuntime.docker.pull(image, authenticated: false) == ["docker", "pull", image.reference])
    }
}
