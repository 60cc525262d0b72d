import CSystemd
import SwiftletAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The host build's sink for the agent's job events: one journald entry each, with the job's
/// fields (`SWIFTLET_CLUSTER`, `SWIFTLET_JOB_ID`, `SWIFTLET_RANK`, `SWIFTLET_STATE`, ...) so
/// `journalctl SWIFTLET_JOB_ID=3` finds them. Only in the host package, which links libsystemd;
/// the static agent copied into images never loads it.
public enum JournalEvents {
    public static func send(_ event: AgentEvent) {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(event.isFailure ? 4 : 6)",
            "SYSLOG_IDENTIFIER=swiftlet-agent",
        ]
        for (key, value) in event.fields.sorted(by: { $0.key < $1.key }) {
            fields.append("SWIFTLET_\(key)=\(value)")
        }
        // One buffer holds every field; the vectors point into it for the one call.
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = bytes.count
            bytes += field.utf8
            ranges.append(start..<bytes.count)
        }
        bytes.withUnsafeMutableBytes { raw in
            var vectors = ranges.map { iovec(iov_base: raw.baseAddress! + $0.lowerBound, iov_len: $0.count) }
            _ = sd_journal_sendv(&vectors, Int32(vectors.count))
        }
    }
}
