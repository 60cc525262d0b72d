import Testing

@testable import SwiftletGPU

/// The readers of what drivers print, on real captures copied beside these tests.
@Suite struct GPUParserTests {
    @Test func aHeterogeneousHostKeepsEachCardsModelAndMemory() throws {
        let cards = NvidiaSMIOutput.cards(csv: try Capture("nvidia-smi-csv_heterogeneous_A5000+RTX4500Ada.txt").text)
        #expect(cards.map(\.device.model) == ["A5000", "RTX4500-Ada"])
        #expect(cards.map(\.device.memoryMiB) == [24564, 24570])
        #expect(cards.map(\.device.uuid) == ["GPU-30667114-4567-bc4a-029b-3375d117048e", "GPU-fbe2dd5d-3644-5c37-3179-8ad50079b7d4"])
        #expect(cards.first?.driverVersion == "610.57.04")
        #expect(GPUInventory.nvidia(cards: cards, instances: []).summary == "A5000:1,RTX4500-Ada:1")
    }

    @Test func placeholdersReadAsAbsentAndAListWithoutMIGAddsNone() throws {
        let capture = try Capture("nvidia-smi-csv_1xGTX1660SUPER_mig-NA.txt")
        let cards = NvidiaSMIOutput.cards(csv: capture.section("--query-gpu"))
        #expect(cards.count == 1)
        #expect(cards.first?.device.model == "GTX1660-SUPER")
        #expect(cards.first?.device.memoryMiB == 6144)
        #expect(cards.first?.migEnabled == false)
        #expect(NvidiaSMIOutput.migInstances(list: capture.section("-L")).isEmpty)
    }

    @Test func aQueryWithoutUUIDsStillCountsTheCards() throws {
        let capture = try Capture("nvidia-smi-csv_4xA10G_and_L.txt")
        let cards = NvidiaSMIOutput.cards(csv: capture.section("--query-gpu"))
        #expect(cards.map(\.device.index) == [0, 1, 2, 3])
        #expect(GPUInventory.nvidia(cards: cards, instances: []).summary == "A10G:4")
    }

    /// `nvidia-smi -L` on a card in MIG mode (its documented shape; the captures here have no
    /// MIG listing): the instances replace the card, each with its own UUID and memory.
    @Test func aCardInMIGModeIsHandedOutAsItsInstances() {
        let csv = """
            0, GPU-aaaa, NVIDIA A100-SXM4-40GB, 40960, 00000000:00:04.0, 510.47.03, Enabled
            1, GPU-bbbb, NVIDIA A100-SXM4-40GB, 40960, 00000000:00:05.0, 510.47.03, Disabled
            """
        let list = """
            GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-aaaa)
              MIG 3g.20gb     Device  0: (UUID: MIG-1111)
              MIG 2g.10gb     Device  1: (UUID: MIG-2222)
            GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-bbbb)
            """
        let inventory = GPUInventory.nvidia(cards: NvidiaSMIOutput.cards(csv: csv), instances: NvidiaSMIOutput.migInstances(list: list))
        #expect(inventory.devices.map(\.uuid) == ["MIG-1111", "MIG-2222", "GPU-bbbb"])
        #expect(inventory.devices.map(\.migProfile) == ["3g.20gb", "2g.10gb", nil])
        #expect(inventory.devices.map(\.memoryMiB) == [20480, 10240, 40960])
        #expect(inventory.migCards == [0])
        #expect(inventory.summary == "A100:3")
    }

    @Test func theKernelDriversFileNamesTheCardWithoutNvidiaSMI() throws {
        let device = try #require(NvidiaProcInformation.device(try Capture("proc-driver-nvidia-gpus-information_A10G.txt").text, index: 0))
        #expect(device.model == "A10G")
        #expect(device.uuid == "GPU-82523fd8-3897-f599-d088-ccd04ae45ec1")
        #expect(device.busID == "0000:00:1e.0")
        #expect(device.minor == 3)
        #expect(device.memoryMiB == nil)
    }

    @Test func amdSMIInBothEnvelopes() throws {
        let documents = try Capture("amd-smi-static-json_MI300X_rocm6-flat_vs_rocm7-wrapped.txt").documents
        #expect(documents.count == 3)
        for document in documents {
            let devices = try #require(AMDSMIOutput.devices(amdSMI: document), "\(document)")
            #expect(devices.map(\.model) == ["MI300X"])
            #expect(devices.map(\.memoryMiB) == [196592])
            #expect(devices.map(\.busID) == ["0000:05:00.0"])
        }
    }

    @Test func rocmSMIJSONCards() throws {
        let devices = try #require(AMDSMIOutput.devices(rocmSMI: try Capture("rocm-smi-json_2xMI100_rocm602.json").text))
        #expect(devices.map(\.index) == [0, 1, 2, 3])
        #expect(Set(devices.map(\.model)) == ["MI100"])
        #expect(devices.first?.memoryMiB == 32752)
        #expect(devices.first?.uuid == "GPU-79ccd55167a2124a")
        #expect(devices.first?.busID == "0000:83:00.0")
    }

    @Test func badJSONIsNoInventoryAndNoCrash() {
        for text in ["", "[", "{\"gpu_data\": [", "[{\"gpu\": 0, \"asic\": {}}]", String(repeating: "[", count: 10000), "\u{0}\u{1}"] {
            #expect(AMDSMIOutput.devices(amdSMI: text)?.isEmpty ?? true)
            #expect(AMDSMIOutput.devices(rocmSMI: text)?.isEmpty ?? true)
        }
        #expect(NvidiaSMIOutput.cards(csv: "garbage\n,,,\n").isEmpty)
    }
}
