import Foundation
import SwiftletController
import Testing

/// What `launch` cannot do is said before anything starts, naming the field, and `validate`
/// says the same; `launch --dryrun` says what would happen and changes nothing.
@Suite struct LaunchChecksTests {
    let cli = CommandLineTests()

    @Test func mountsSwiftletCannotMakeAndMissingPathsAreNamedBeforeAnythingStarts() async throws {
        let home = try TestSupport.makeHome()
        let cases: [(String, String)] = [
            (
                "file_mounts:\n  /data:\n    name: bucket\n    source: s3://bucket\nrun: echo never\n",
                "file_mounts: /data: storage mounts (name/source/store) are not built"
            ),
            (
                "file_mounts:\n  /data: gs://bucket/path\nrun: echo never\n",
                "file_mounts: /data: cloud storage (gs://bucket/path) is not built"
            ),
            ("workdir: \(home.path)/nothere\nrun: echo never\n", "workdir: \(home.path)/nothere: no such directory here"),
            (
                "file_mounts:\n  /remote: \(home.path)/missing.txt\nrun: echo never\n",
                "file_mounts: /remote: \(home.path)/missing.txt: no such file"
            ),
        ]
        for (text, message) in cases {
            let task = try cli.writeTask(text, home: home)
            let validate = try await cli.swiftlet(["validate", task], home: home)
            #expect(validate.code == 2 && validate.stderr.contains(message), "\(validate.stderr)")
            let launch = try await cli.swiftlet(["launch", task, "-c", "checked"], home: home)
            #expect(launch.code != 0 && launch.stderr.contains(message) && !launch.stdout.contains("never"), "\(launch.stderr)")
        }
        #expect(try await cli.swiftlet(["status"], home: home).stdout == "No clusters.\n")
        #expect(!FileManager.default.fileExists(atPath: home.path + "/local/checked"), "a node was made")
    }

    @Test func aDryrunSaysWhatWouldHappenAndChangesNothing() async throws {
        let home = try TestSupport.makeHome()
        try FileManager.default.createDirectory(atPath: home.path + "/code", withIntermediateDirectories: true)
        let task = try cli.writeTask(
            "name: train\nworkdir: \(home.path)/code\nnum_nodes: 2\nresources:\n  cpus: 1+\nsetup: echo s\nrun: echo r\n",
            home: home
        )
        let dry = try await cli.swiftlet(["launch", task, "-c", "dry", "--dryrun", "-i", "30", "--down"], home: home)
        #expect(dry.code == 0 && dry.stdout.isEmpty, "\(dry.stderr)")
        #expect(
            dry.stderr == """
                Cluster 'dry' would be made on local (2 nodes).
                \(home.path)/code would be synced to ~/sky_workdir on each node.
                Task 'train' would run its setup, then its run, on 2 node(s), each holding CPU:1.
                Its autostop would be 30m (down).
                Dryrun finished: nothing was changed.

                """,
            "\(dry.stderr)"
        )
        #expect(try await cli.swiftlet(["status"], home: home).stdout == "No clusters.\n")
        #expect(!FileManager.default.fileExists(atPath: home.path + "/local/dry"))
        // On a cluster that exists, it says it would be reused, and still runs nothing.
        _ = try await cli.swiftlet(["launch", "-c", "dry"], home: home)
        let again = try await cli.swiftlet(["launch", "-c", "dry", "--dryrun", "echo hi"], home: home)
        #expect(again.stderr.hasPrefix("Cluster 'dry' exists on local (1 node); it would be reused."), "\(again.stderr)")
        let queue = try await DurableRuntimeTests().queue("dry", home: home)
        #expect(queue.isEmpty, "a job was submitted: \(queue)")
        let bad = try await cli.swiftlet(["launch", "-c", "dry", "--dryrun", "--infra", "ssh/nowhere", "echo hi"], home: home)
        #expect(bad.code != 0 && bad.stderr.contains("cluster 'dry' is on local, not ssh/nowhere"), "\(bad.stderr)")
        _ = try await cli.swiftlet(["down", "dry"], home: home)
    }
}
