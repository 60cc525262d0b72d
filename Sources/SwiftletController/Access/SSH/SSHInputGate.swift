import NIOCore
import SwiftletPOSIX

/// Backpressure from the node to an SSH client: what the client sends is queued for the node's
/// stream, and once too much waits the channel stops reading (so ssh's window closes and the
/// client waits), until the node has taken most of it. Without it, `ssh host 'cat > f' < big`
/// to a slow node would hold the whole file in this process.
final class SSHInputGate: Sendable {
    static let pauseAbove = 64
    static let resumeBelow = 16

    private let waiting = Locked(0)
    private let paused = Locked(false)

    /// One more item queued; stops the channel's reads when too many wait.
    func queued(on channel: any Channel) {
        let count = waiting.withLock { value in
            value += 1
            return value
        }
        if count > Self.pauseAbove,
            paused.withLock({ value in
                defer { value = true }; return !value
            })
        {
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    /// One item taken by the node; reads resume once few wait.
    func taken(on channel: any Channel) {
        let count = waiting.withLock { value in
            value -= 1
            return value
        }
        if count < Self.resumeBelow,
            paused.withLock({ value in
                defer { value = false }; return value
            })
        {
            // Turning autoRead on does not read by itself (an SSH child channel waits for a read).
            channel.setOption(ChannelOptions.autoRead, value: true).whenSuccess { channel.read() }
        }
    }
}
