import Foundation
import NIOCore
import SwiftletPOSIX
import SwiftletProtocol

/// `swiftlet status CLUSTER`: what each node's agent runtime says of itself.
public struct NodeInspection: Sendable {
    public struct Node: Codable, Sendable {
        public var name: String
        public var ip: String
        /// Nil when the node could not be asked; `error` says why.
        public var mode: String?
        public var pid: Int32?
        public var build: String?
        public var since: String?
        public var gpus: Int?
        public var freeGPUs: Int?
        public var cpus: Double?
        /// The node's memory in GB (2^30 bytes, as SkyPilot counts them).
        public var memoryGB: Double?
        public var freeCPUs: Double?
        public var running: Int?
        public var pending: Int?
        public var connections: Int?
        public var connectionsServed: Int?
        public var systemd: Bool?
        /// Each GPU jobs can be given, and how they were found.
        public var gpuList: [GPU]?
        public var gpuSource: String?
        public var gpuDriver: String?
        public var gpuGrantedBy: String?
        /// The node's container (its name on its host) and image, for a task's `image_id`.
        public var container: String?
        public var image: String?
        public var error: String?

        init(name: String, ip: String, state: NodeState) {
            self.name = name
            self.ip = ip
            mode = state.mode
            pid = state.pid
            build = String(state.build.prefix(12))
            since = UTCTime.iso8601(secondsSinceEpoch: state.since)
            gpus = state.gpus
            freeGPUs = state.freeGPUs
            cpus = Double(state.milliCPUs) / 1000
            memoryGB = state.memoryMiB.map { Double($0) / 1024 }
            freeCPUs = Double(state.freeMilliCPUs) / 1000
            running = state.running
            pending = state.pending
            connections = state.connections
            connectionsServed = state.connectionsServed
            systemd = state.underSystemd
            gpuList = state.gpuList.map(GPU.init)
            gpuSource = state.gpuSource
            gpuDriver = state.gpuDriver
            gpuGrantedBy = state.gpuGrantedBy
        }

        init(name: String, ip: String, error: String) {
            self.name = name
            self.ip = ip
            self.error = error
        }
    }

    /// One GPU of a node: what it is and how much of it running jobs hold.
    public struct GPU: Codable, Sendable {
        public var index: Int
        public var uuid: String
        /// SkyPilot's name for its model; empty when unknown (a configured count).
        public var model: String
        public var name: String
        public var memoryMiB: Int?
        /// The share of it jobs hold: 0 free, 1 taken whole.
        public var inUse: Double

        init(_ gpu: NodeState.GPU) {
            index = gpu.index
            uuid = gpu.uuid
            model = gpu.model
            name = gpu.name
            memoryMiB = gpu.memoryMiB
            inUse = Double(gpu.usedMilli) / 1000
        }
    }

    public let connector: NodeConnector

    public init(connector: NodeConnector) {
        self.connector = connector
    }

    /// Every node of the cluster, in rank order; a node that cannot be reached says so.
    public func nodes(of cluster: ClusterRecord) async -> [Node] {
        await nodes(cluster.nodes)
    }

    /// Each of `addresses`, in order, named as a cluster's nodes are; one that cannot be reached
    /// says so.
    public func nodes(_ addresses: [NodeAddress]) async -> [Node] {
        await withTaskGroup(of: (Int, Node).self) { group in
            for (rank, address) in addresses.enumerated() {
                group.addTask {
                    let name = JobRunner.nodeName(rank: rank, node: address)
                    var node: Node
                    do {
                        node = Node(name: name, ip: address.ip, state: try await state(of: address, name: name))
                    } catch {
                        node = Node(name: name, ip: address.ip, error: "\(error)")
                    }
                    if let container = address.transport as? ContainerTransport {
                        node.container = container.container
                        node.image = container.image
                    }
                    return (rank, node)
                }
            }
            return await group.reduce(into: [(Int, Node)]()) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    private func state(of address: NodeAddress, name: String) async throws -> NodeState {
        let session = try await connector.connect(to: address, name: name)
        do {
            let state = try await Self.state(on: session)
            await session.close()
            return state
        } catch {
            await session.close()
            throw error
        }
    }

    /// What the node's runtime says of itself, asked on an open session.
    static func state(on session: NodeSession) async throws -> NodeState {
        var state: NodeState?
        let stream = try await session.connection.openStream(.nodeState, request: ByteBuffer())
        for await frame in stream.inbound where frame.kind == .data {
            state = NodeState(text: String(buffer: frame.payload))
        }
        guard let state else { throw NodeError(node: session.name, step: "status", "the agent did not say how it is") }
        return state
    }
}
