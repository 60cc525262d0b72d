import Foundation
import SwiftletController
import Testing

/// `down` as SkyPilot users type it: several clusters at once, or all of them.
@Suite struct DownTests {
    let cli = CommandLineTests()

    @Test func severalClustersOrAllGoDownAtOnce() async throws {
        let home = try TestSupport.makeHome()
        let task = try cli.writeTask("run: echo up\n", home: home)
        for name in ["one", "two", "three"] { _ = try await cli.swiftlet(["launch", task, "-c", name], home: home) }
        let two = try await cli.swiftlet(["down", "one", "two", "-y"], home: home)
        #expect(
            two.code == 0 && two.stderr.contains("Cluster 'one' is down.") && two.stderr.contains("Cluster 'two' is down."),
            "\(two.stderr)"
        )
        let status = try await cli.swiftlet(["status"], home: home)
        #expect(status.stdout.contains("three") && !status.stdout.contains("one "), "\(status.stdout)")
        // A missing one is named; the others still go down.
        _ = try await cli.swiftlet(["launch", task, "-c", "four"], home: home)
        let mixed = try await cli.swiftlet(["down", "nothere", "four"], home: home)
        #expect(mixed.code == 1 && mixed.stderr.contains("nothere") && mixed.stderr.contains("Cluster 'four' is down."), "\(mixed.stderr)")
        let everything = try await cli.swiftlet(["down", "-a", "-y"], home: home)
        #expect(everything.code == 0 && everything.stderr.contains("Cluster 'three' is down."), "\(everything.stderr)")
        #expect(try await cli.swiftlet(["status"], home: home).stdout.contains("No clusters"))
        let nothing = try await cli.swiftlet(["down"], home: home)
        #expect(nothing.code == 2 && nothing.stderr.contains("name a cluster"), "\(nothing.stderr)")
        // The names are checked before anything becomes a path (a host key here).
        let proxy = try await cli.swiftlet(["proxy", "../../escape"], home: home)
        #expect(proxy.code != 0 && proxy.stderr.contains("invalid cluster name"), "\(proxy.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home.path + "/escape"))
    }
}
