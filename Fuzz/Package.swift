// swift-tools-version:6.1
// libFuzzer targets for the wire protocol. Build and run with scripts/fuzz.sh.
// Sources/SwiftletProtocol is a symlink to the main package's target, so this package does not
// depend on the main one by its directory name.
import PackageDescription

let package = Package(
    name: "SwiftletFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0")
    ],
    targets: [
        .target(
            name: "SwiftletProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        ),
        .executableTarget(
            name: "ProtocolFuzzer",
            dependencies: [
                "SwiftletProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        ),
    ]
)
