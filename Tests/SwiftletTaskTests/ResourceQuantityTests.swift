import Testing

@testable import SwiftletTask

/// `cpus` and `memory` read and normalised as SkyPilot 0.14.1 reads them (its
/// `Resources._set_cpus` and `parse_memory_resource`), with its words for what it refuses.
@Suite struct ResourceQuantityTests {
    @Test(arguments: [
        ("4", 4.0, false, "4"), ("0.5", 0.5, false, "0.5"), ("2+", 2.0, true, "2+"), ("0.1+", 0.1, true, "0.1+"),
    ])
    func cpus(_ text: String, _ amount: Double, _ atLeast: Bool, _ normalised: String) throws {
        #expect(try ResourceQuantity.cpus(text) == ResourceQuantity(amount: amount, atLeast: atLeast, text: normalised))
    }

    @Test(arguments: [
        ("32", 32.0, false, "32"), ("32+", 32.0, true, "32+"), ("32GB", 32.0, false, "32.0"), ("16gb+", 16.0, true, "16.0+"),
        ("512MB", 0.5, false, "0.5"), ("1TB", 1024.0, false, "1024.0"), ("2Gi", 2.0, false, "2.0"), ("0.5", 0.5, false, "0.5"),
    ])
    func memory(_ text: String, _ amount: Double, _ atLeast: Bool, _ normalised: String) throws {
        #expect(try ResourceQuantity.memory(text) == ResourceQuantity(amount: amount, atLeast: atLeast, text: normalised))
    }

    @Test func whatSkyPilotRefusesIsRefusedInItsWords() {
        #expect(
            throws: ResourceQuantity.Invalid(message: #"The "cpus" field should be either a number or a string "<number>+". Found: 'lots'"#)
        ) {
            try ResourceQuantity.cpus("lots")
        }
        #expect(throws: ResourceQuantity.Invalid(message: #"The "cpus" field should be positive. Found: '0'"#)) {
            try ResourceQuantity.cpus("0")
        }
        #expect(throws: ResourceQuantity.Invalid.self) { try ResourceQuantity.cpus("4++") }
        #expect(throws: ResourceQuantity.Invalid.self) { try ResourceQuantity.cpus("inf") }
        #expect(
            throws: ResourceQuantity.Invalid(
                message:
                    #""memory" field should be a number (e.g. "16") or "<number><unit>" where unit is one of KB/MB/GB/TB/PB (e.g. "16GB") or "<number>+" for "at least". Got: '32 bananas'"#
            )
        ) { try ResourceQuantity.memory("32 bananas") }
        #expect(throws: ResourceQuantity.Invalid(message: #"The "memory" field should be positive. Found: '0.0'"#)) {
            try ResourceQuantity.memory("0GB")
        }
        #expect(throws: ResourceQuantity.Invalid.self) { try ResourceQuantity.memory("32GiB") }
    }

    @Test func aTasksAmountsAreNormalisedAndABadOneNamedByLine() throws {
        let task = try TaskLoader.parse("resources:\n  cpus: 4+\n  memory: 64GB\nrun: true\n", file: "t.yaml")
        #expect(task.resources.cpus == "4+" && task.resources.memory == "64.0")
        #expect {
            try TaskLoader.parse("resources:\n  cpus: lots\n", file: "t.yaml")
        } throws: { error in
            "\(error)".contains("t.yaml:2:") && "\(error)".contains("\"cpus\" field should be either a number")
        }
    }
}
