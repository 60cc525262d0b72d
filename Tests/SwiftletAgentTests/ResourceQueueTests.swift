import Testing

import SwiftletGPU

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

    @Test func aJobThatHoldsNothingNeverWaits() {
        var queue = ResourceQueue(gpuCount: 0, milliCPUCapacity: 1000)
        _ = queue.submit("running", Demand(gpus: 0, milliCPUs: 1000))
        #expect(queue.submit("waits", Demand(gpus: 0, milliCPUs: 500)) == .wait("waiting for 0.5 CPUs (0 free)"))
        #expect(queue.submit("command", Demand(gpus: 0, milliCPUs: 0)) == .start(.init(gpuIDs: [], milliCPUs: 0)))
        #expect(queue.release("running").map(\.key) == ["waits"])
    }

    @Test func whatTheNodeCanNeverHoldIsRefusedNotQueued() {
        var queue = ResourceQueue(gpuCount: 2, milliCPUCapacity: 2000)
        #expect(queue.submit("x", Demand(gpus: 8, milliCPUs: 0)) == .impossible("the job needs GPU:8; this node has GPU:2"))
        #expect(queue.submit("y", Demand(gpus: 0, milliCPUs: 2500)) == .impossible("the job needs 2.5 CPUs; this node has 2"))
        #expect(queue.waiting.isEmpty)
    }

    /// A laptop asked for `A100:8` says it has none, instead of running a job that believes it
    /// has eight.
    @Test func aNodeWithoutGPUsRefusesAJobThatNeedsThem() {
        var queue = ResourceQueue(gpuCount: 0, milliCPUCapacity: 1000)
        #expect(
            queue.submit("laptop", Demand(gpus: 8, milliCPUs: 0, models: ["A100"]))
                == .impossible("the job needs A100:8; this node has no GPUs")
        )
        #expect(queue.submit("cpu", Demand(gpus: 0, milliCPUs: 500)) == .start(.init(gpuIDs: [], milliCPUs: 500)))
    }

    /// A heterogeneous node: a job gets GPUs of the model it asked for, and waits for those.
    @Test func aJobGetsOnlyGPUsOfItsModel() {
        let devices = [
            GPUDevice(vendor: .nvidia, index: 0, uuid: "GPU-a", name: "NVIDIA RTX A5000"),
            GPUDevice(vendor: .nvidia, index: 1, uuid: "GPU-b", name: "NVIDIA RTX 4500 Ada Generation"),
            GPUDevice(vendor: .nvidia, index: 2, uuid: "GPU-c", name: "NVIDIA RTX A5000"),
        ]
        var queue = ResourceQueue(devices: devices, milliCPUCapacity: 1000)
        #expect(queue.submit("ada", Demand(gpus: 1, milliCPUs: 0, models: ["RTX4500-Ada"])) == .start(.init(gpuIDs: [1], milliCPUs: 0)))
        #expect(queue.submit("two", Demand(gpus: 2, milliCPUs: 0, models: ["a5000"])) == .start(.init(gpuIDs: [0, 2], milliCPUs: 0)))
        #expect(queue.submit("more", Demand(gpus: 1, milliCPUs: 0, models: ["A5000"])) == .wait("waiting for 1 GPU (0 free)"))
        #expect(
            queue.submit("never", Demand(gpus: 3, milliCPUs: 0, models: ["A5000"]))
                == .impossible("the job needs A5000:3; this node has A5000:2,RTX4500-Ada:1")
        )
        #expect(queue.release("two").map(\.key) == ["more"])
    }

    /// `A100:0.5` twice shares one GPU, as SkyPilot's scheduler shares it; a whole job takes a
    /// GPU nobody shares.
    @Test func sharesOfAGPUPackOntoOne() {
        var queue = ResourceQueue(gpuCount: 2, milliCPUCapacity: 1000)
        #expect(
            queue.submit("half1", Demand(gpus: 1, milliCPUs: 0, gpuShare: 500)) == .start(.init(gpuIDs: [0], milliCPUs: 0, gpuShare: 500))
        )
        #expect(
            queue.submit("half2", Demand(gpus: 1, milliCPUs: 0, gpuShare: 500)) == .start(.init(gpuIDs: [0], milliCPUs: 0, gpuShare: 500))
        )
        #expect(queue.submit("whole", Demand(gpus: 1, milliCPUs: 0)) == .start(.init(gpuIDs: [1], milliCPUs: 0)))
        #expect(queue.submit("quarter", Demand(gpus: 1, milliCPUs: 0, gpuShare: 250)) == .wait("waiting for 0.25 of a GPU (0 free)"))
        #expect(queue.release("half1").map(\.key) == ["quarter"])
        #expect(queue.running["quarter"]?.gpuIDs == [0])
        #expect(queue.freeGPUs.isEmpty)
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

    /// Two gangs crossed on two nodes: on node A the younger gang's rank holds A and the older
    /// one waits; on node B it is the other way round. Node A's younger rank yields.
    @Test func aHeldRankOfAYoungerGangYieldsToAnOlderOne() {
        var nodeA = ResourceQueue(gpuCount: 2, milliCPUCapacity: 4000)
        let older = "sky-2026-11-22-10-00-00-000001_a_1"
        let younger = "sky-2026-11-22-10-00-00-000002_b_1"
        #expect(nodeA.submit("young", Demand(gpus: 2, milliCPUs: 0, gang: younger)) == .start(.init(gpuIDs: [0, 1], milliCPUs: 0)))
        #expect(nodeA.submit("old", Demand(gpus: 2, milliCPUs: 0, gang: older)) == .wait("waiting for 2 GPUs (0 free)"))
        let (yielded, started) = nodeA.yieldToOlderGangs()
        #expect(yielded == ["young"])
        #expect(started.map(\.key) == ["old"])
        #expect(started.first?.allocation.gpuIDs == [0, 1])
        #expect(nodeA.waiting.map(\.key) == ["young"], "it waits again, first in line")
        // Once the older gang's rank ends, the younger one is admitted again.
        #expect(nodeA.release("old").map(\.key) == ["young"])
    }

    @Test func onlyHeldRanksOfYoungerGangsYield() {
        var queue = ResourceQueue(gpuCount: 0, milliCPUCapacity: 4000)
        let older = "sky-2026-11-22-10-00-00-000001_a_1"
        let younger = "sky-2026-11-22-10-00-00-000002_b_1"
        // A plain job and a started gang rank never yield.
        _ = queue.submit("plain", Demand(gpus: 0, milliCPUs: 2000))
        _ = queue.submit("young-started", Demand(gpus: 0, milliCPUs: 1000, gang: younger))
        queue.started("young-started")
        _ = queue.submit("young-held", Demand(gpus: 0, milliCPUs: 1000, gang: younger))
        _ = queue.submit("old", Demand(gpus: 0, milliCPUs: 3000, gang: older))
        var outcome = queue.yieldToOlderGangs()
        #expect(outcome.yielded.isEmpty, "yielding the held rank alone would not make room")
        #expect(queue.running["young-held"] != nil)
        // An older gang does not yield to a younger one.
        _ = queue.release("old")
        _ = queue.submit("younger-still", Demand(gpus: 0, milliCPUs: 2000, gang: younger + "9"))
        outcome = queue.yieldToOlderGangs()
        #expect(outcome.yielded.isEmpty)
        // Once the plain job is gone, the older gang's rank gets in without anyone yielding.
        _ = queue.submit("old", Demand(gpus: 0, milliCPUs: 3000, gang: older))
        #expect(queue.release("plain").map(\.key) == ["younger-still"])
        // It needs 3 of the 4 CPUs: both held ranks yield (the youngest first), the started one stays.
        outcome = queue.yieldToOlderGangs()
        #expect(outcome.yielded == ["younger-still", "young-held"])
        #expect(outcome.started.map(\.key) == ["old"])
        #expect(queue.waiting.map(\.key) == ["young-held", "younger-still"], "back in line, oldest first")
        #expect(queue.running["young-started"] != nil)
    }
}
