import SwiftletPOSIX
import Testing

/// Every `SWIFTLET_*` variable is read in one place, and a value that does not parse is named.
@Suite struct ConfigurationTests {
    @Test func variablesAreReadWithTheirDefaults() throws {
        let defaults = try SwiftletConfiguration(environment: [:])
        #expect(defaults == SwiftletConfiguration())
        #expect(defaults.keepAliveSeconds == 300 && defaults.spareLanes == 1 && defaults.reconnectGraceSeconds == 20)
        let set = try SwiftletConfiguration(environment: [
            "SWIFTLET_HOME": "/h", "SWIFTLET_KEEPALIVE": "0", "SWIFTLET_LANES": "2", "SWIFTLET_NODE_CPUS": "0.5",
            "SWIFTLET_NODE_GPUS": "8", "SWIFTLET_AGENT_NO_DAEMON": "1", "SWIFTLET_AGENT_BINARY": "",
        ])
        #expect(set.home == "/h" && set.keepAliveSeconds == 0 && set.spareLanes == 2)
        #expect(set.nodeCPUs == 0.5 && set.nodeGPUs == 8 && set.agentWithoutDaemon)
        #expect(set.agentBinary == nil, "an empty value is no value")
    }

    @Test func aValueThatDoesNotParseIsNamed() {
        #expect(throws: ConfigurationError(variable: "SWIFTLET_KEEPALIVE", value: "5m", expected: "a number of at least 0")) {
            try SwiftletConfiguration(environment: ["SWIFTLET_KEEPALIVE": "5m"])
        }
        #expect(throws: ConfigurationError.self) { try SwiftletConfiguration(environment: ["SWIFTLET_NODE_GPUS": "-1"]) }
    }

    @Test func theCommandLineStopsOnABadValue() async throws {
        let home = try TestSupport.makeHome()
        let run = try await CommandLineTests().swiftlet(["status"], home: home, environment: ["SWIFTLET_LANES": "many"])
        #expect(run.code == 2)
        #expect(run.stderr == "error: SWIFTLET_LANES=many is not a number of at least 0\n")
    }
}
