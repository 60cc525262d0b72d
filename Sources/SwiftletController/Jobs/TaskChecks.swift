import Foundation
import SwiftletTask

/// What `launch`, `exec` and `validate` check of a task on this machine before anything
/// starts: mounts Swiftlet cannot make (a storage mapping, a bucket's URL) are named, as are a
/// workdir or a mount source that is not there. The first problem is thrown.
public enum TaskChecks {
    public static func check(_ task: TaskSpec) throws {
        if let target = task.storageMounts.sorted().first {
            throw ControllerError(
                "file_mounts: \(target): storage mounts (name/source/store) are not built in Swiftlet; sync a local path, or mount the bucket in setup"
            )
        }
        let mounts = task.fileMounts.sorted { $0.key < $1.key }
        if let bucket = mounts.first(where: { $0.value.contains("://") }) {
            throw ControllerError(
                "file_mounts: \(bucket.key): cloud storage (\(bucket.value)) is not built in Swiftlet; sync a local path, or fetch it in setup"
            )
        }
        if let workdir = task.workdir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: expanded(workdir), isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ControllerError("workdir: \(workdir): no such directory here")
            }
        }
        for (target, source) in mounts where !FileManager.default.fileExists(atPath: expanded(source)) {
            throw ControllerError("file_mounts: \(target): \(source): no such file or directory here")
        }
    }

    static func expanded(_ path: String) -> String {
        (path as NSString).expandingTildeInPath
    }
}
