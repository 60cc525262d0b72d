import Foundation
import SwiftletController

/// A GPU machine laid out in a directory from real captures: `/dev`, `/proc` and `/sys` under
/// `root`, and stand-ins for `nvidia-smi`, `amd-smi` and `rocm-smi` in `bin` that print what
/// the real tools printed. GPUs cannot exist here; what the agent makes of them can.
struct CapturedMachine {
    let root: String
    var bin: String { root + "/bin" }

    static let captures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SwiftletGPUTests/Captures").path

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("machine-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/dev", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/replies", withIntermediateDirectories: true)
    }

    /// A capture without its first line (its source).
    static func capture(_ name: String, section: String? = nil) throws -> String {
        let text = try String(contentsOfFile: captures + "/" + name, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
        guard let section else { return text.joined(separator: "\n") }
        var inside = false
        return text.filter { line in
            if line.hasPrefix("## ") {
                inside = line.contains(section)
                return false
            }
            return inside
        }.joined(separator: "\n")
    }

    func device(_ name: String) throws {
        _ = FileManager.default.createFile(atPath: root + "/dev/" + name, contents: nil)
    }

    func file(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: root + (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try text.write(toFile: root + path, atomically: true, encoding: .utf8)
    }

    /// A stand-in `tool` that prints `replies[pattern]` when its arguments match the shell
    /// pattern, and fails otherwise.
    func tool(_ name: String, _ replies: [(pattern: String, text: String)], delay: Int = 0) throws {
        var script = "#!/bin/sh\n" + (delay > 0 ? "sleep \(delay)\n" : "") + "case \"$*\" in\n"
        for (index, reply) in replies.enumerated() {
            let path = "\(root)/replies/\(name)-\(index)"
            try reply.text.write(toFile: path, atomically: true, encoding: .utf8)
            script += "\(reply.pattern.replacingOccurrences(of: " ", with: "\\ "))) cat '\(path)' ;;\n"
        }
        script += "*) echo \"\(name): unexpected $*\" >&2; exit 9 ;;\nesac\n"
        try script.write(toFile: bin + "/" + name, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/" + name)
    }

    /// What the agent finds here (`swiftlet-agent gpus --json --root`), with `environment` added.
    func inventory(_ environment: [String: String] = [:]) async throws -> [String: Any] {
        let variables = (["PATH": bin + ":/usr/bin:/bin"].merging(environment) { _, new in new })
            .map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let run = try await TestSupport.shell("env -i \(variables) '\(TestSupport.agentPath)' gpus --json --root '\(root)'")
        guard run.code == 0, let object = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any] else {
            throw ControllerError("swiftlet-agent gpus failed (\(run.code)): \(run.output)")
        }
        return object
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
