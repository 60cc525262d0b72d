// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6)
]

let package = Package(
    name: "swiftlet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
        .executable(name: "swiftlet-agent", targets: ["swiftlet-agent"]),
        // The agent for host packages: linked with libsystemd for journald fields. Never static.
        .executable(name: "swiftlet-agent-host", targets: ["swiftlet-agent-host"]),
        .library(name: "SwiftletProtocol", targets: ["SwiftletProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // The SSH server of `swiftlet proxy` (ssh, scp, sftp, VS Code). The controller's only: it
        // needs Foundation, which the agent leaves out.
        .package(url: "https://github.com/apple/swift-nio-ssh.git", from: "0.15.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // The wire protocol: frames, messages, codecs, state machines. NIOCore only.
        .target(
            name: "SwiftletProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // SHA-256 from the system's libcrypto (libssl-dev); links statically in the release agent.
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Small POSIX edges shared by both binaries: hashing, spawning, paths. No Foundation.
        .target(
            name: "SwiftletPOSIX",
            dependencies: ["CLibCrypto"],
            swiftSettings: strictSettings
        ),
        // GPUs as drivers report them and SkyPilot names them: parsers, names, requests, the
        // flags that map GPUs into containers. Pure; no Foundation (the agent links it).
        .target(name: "SwiftletGPU", swiftSettings: strictSettings),
        // Async connections over byte streams (pipes, ssh, kubectl exec).
        .target(
            name: "SwiftletTransport",
            dependencies: [
                "SwiftletProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The node side: serving a connection, running processes. No Foundation.
        .target(
            name: "SwiftletAgent",
            dependencies: [
                "SwiftletProtocol", "SwiftletTransport", "SwiftletPOSIX", "SwiftletGPU",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // The daemon's one owner of its signals.
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The task model: SkyPilot task YAML.
        .target(
            name: "SwiftletTask",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // The controller: infra, bootstrap, launch, cluster state.
        .target(
            name: "SwiftletController",
            dependencies: [
                "SwiftletProtocol", "SwiftletTransport", "SwiftletPOSIX", "SwiftletTask", "SwiftletGPU",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOSSH", package: "swift-nio-ssh"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "swiftlet",
            dependencies: [
                "SwiftletController", "SwiftletTask", "SwiftletPOSIX",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The one owner of the CLI's signals (a sequence; no handler on a global queue).
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // libsystemd (libsystemd-dev), for the host build's journald entries only.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(
            name: "SwiftletJournal",
            dependencies: ["CSystemd", "SwiftletAgent"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "swiftlet-agent-host",
            dependencies: ["SwiftletAgent", "SwiftletJournal"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "swiftlet-agent",
            dependencies: ["SwiftletAgent", "SwiftletPOSIX", "SwiftletProtocol"],
            swiftSettings: strictSettings
        ),
        // For tests: both ends of an agent connection in one process, and a clock moved by hand.
        .target(
            name: "SwiftletTestSupport",
            dependencies: [
                "SwiftletProtocol", "SwiftletTransport", "SwiftletPOSIX",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwiftletProtocolTests",
            dependencies: [
                "SwiftletProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwiftletAgentTests",
            dependencies: ["SwiftletAgent", "SwiftletGPU", "SwiftletTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwiftletGPUTests",
            dependencies: ["SwiftletGPU"],
            exclude: ["Captures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwiftletTaskTests",
            dependencies: ["SwiftletTask", "SwiftletPOSIX"],
            exclude: ["SkyPilotCases"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SwiftletIntegrationTests",
            dependencies: [
                "SwiftletController", "SwiftletPOSIX", "SwiftletTask", "SwiftletProtocol", "SwiftletTransport", "SwiftletTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
