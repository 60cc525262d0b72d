@testable import SwiftletAgent
import Testing

/// When the node's daemon stops, retires, or stays: decided by a value, without a process.
@Suite struct DaemonLifeStateMachineTests {
    @Test func anIdleDaemonExitsOnlyOnceIdleForItsLimit() {
        var life = DaemonLifeStateMachine(idleLimit: .seconds(600))
        #expect(life.handle(.tick(idle: nil)) == .none, "busy")
        #expect(life.handle(.tick(idle: .seconds(599))) == .none)
        #expect(life.handle(.tick(idle: .seconds(600))) == .leave(reason: "idle"))
        #expect(life.phase == .stopped(reason: "idle"))
        #expect(life.handle(.tick(idle: .seconds(601))) == .none, "it exits once")
    }

    @Test func underSystemdItNeverExitsWhenIdle() {
        var life = DaemonLifeStateMachine(idleLimit: nil)
        #expect(life.handle(.tick(idle: .seconds(86_400))) == .none)
        #expect(life.handle(.terminate) == .leave(reason: "stopped by signal"))
    }

    @Test func aRetiringDaemonStopsListeningAtOnceAndExitsWhenItsWorkIsDone() {
        var life = DaemonLifeStateMachine(idleLimit: .seconds(600))
        #expect(life.handle(.retire) == .stopListening)
        #expect(life.handle(.retire) == .none, "a second relay's request changes nothing")
        #expect(life.handle(.tick(idle: nil)) == .none, "its jobs still run")
        #expect(life.handle(.tick(idle: .zero)) == .leave(reason: "retired"), "no idle limit once retiring")
    }

    @Test func aSignalStopsItInAnyPhase() {
        var retiring = DaemonLifeStateMachine(idleLimit: .seconds(1))
        _ = retiring.handle(.retire)
        #expect(retiring.handle(.terminate) == .leave(reason: "stopped by signal"))
        #expect(retiring.handle(.terminate) == .none)
    }
}
