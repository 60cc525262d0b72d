import Testing

@testable import SwiftletAgent

/// The node's queue, step by step: GPUs handed out by index, first in first out, nothing
/// starved, nothing impossible queued.
@Suite struct ResourceQueueTests {
    typealias Demand = ResourceQueue.Demand

    @Test func gpusAreHandedOutByIndexAndReturned() {
        var queue = ResourceQueue(gpuCount: 4, milliCPUCapacity: 8000)
        #expect(queue.submit("a", Demand(gpus: 2, milliCPUs: 0)) == .start(.init(gpuIDs: [0, 1], milliCPUs: 0)))
        #expect(queue.submit("b", Demand(gpus: 1, milliCPUs: 0)) == .start(.init(gpuIDs: [2], milliCPUs: 0)))
        #expect(queue.submit("c", Demand(gpus: 2, milliCPUs: 0)) == .wait("waiting for 2 GPUs (1 free)"))
        let started = queue.release("a")
        #expect(started.map(\.key) == ["c"])
        #expect(started.first?.allocation.gpuIDs == [0, 1])
        #expect(queue.freeGPUs == [3])
    }

    @Test func aSmallJobDoesNotOvertakeABigOneThatWaits() {
        var queue = ResourceQueue(gpuCount: 0, milliCPUCapacity: 4000)
        _ = queue.submit("running", Demand(gpus: 0, milliCPUs: 3000))
        #expect(queue.submit("big", Demand(gpus: 0, milliCPUs: 4000)) == .wait("waiting for 4 CPUs (1 free)"))
        // One CPU is free, but the big job came first.
        #expect(queue.submit("small", Demand(gpus: 0, milliCPUs: 1000)) == .wait("waiting for 1 CPUs (1 free); 1 job ahead"))
        #expect(queue.release("running").map(\.key) == ["big"])
        #expect(queue.release("big").map(\.key) == ["small"])
    }

    @Test func whatTheNodeCanNeverHoldIsRefusedNotQueued() {
        var queue = ResourceQueue(gpuCount: 2, milliCPUCapacity: 2000)
        #expect(queue.submit("x", Demand(gpus: 8, milliCPUs: 0)) == .impossible("the job needs 8 GPUs; this node has 2"))
        #expect(queue.submit("y", Demand(gpus: 0, milliCPUs: 2500)) == .impossible("the job needs 2.5 CPUs; this node has 2"))
        #expect(queue.waiting.isEmpty)
    }

    @Test func withoutGPUsTheGPUDemandIsNotEnforced() {
        var queue = ResourceQueue(gpuCount: 0, milliCPUCapacity: 1000)
        #expect(queue.submit("laptop", Demand(gpus: 8, milliCPUs: 0)) == .start(.init(gpuIDs: [], milliCPUs: 0)))
    }

    @Test func aWithdrawnJobLetsTheNextOneStart() {
        var queue = ResourceQueue(gpuCount: 1, milliCPUCapacity: 1000)
        _ = queue.submit("a", Demand(gpus: 1, milliCPUs: 0))
        _ = queue.submit("b", Demand(gpus: 1, milliCPUs: 0))
        _ = queue.submit("c", Demand(gpus: 0, milliCPUs: 500))
        // b is cancelled while it waits; c needs no GPU and goes.
        #expect(queue.release("b").map(\.key) == ["c"])
        #expect(queue.running.keys.sorted() == ["a", "c"])
    }

    @Test func adoptedJobsHoldWhatTheyHeld() {
        var queue = ResourceQueue(gpuCount: 2, milliCPUCapacity: 1000)
        queue.adopt("survivor", .init(gpuIDs: [1], milliCPUs: 0))
        #expect(queue.submit("new", Demand(gpus: 1, milliCPUs: 0)) == .start(.init(gpuIDs: [0], milliCPUs: 0)))
    }
}
