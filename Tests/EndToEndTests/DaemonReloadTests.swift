// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// SIGHUP: the configuration file is read again; a bad one changes nothing but a log line.
@Suite(.requiresRoot, .blockingWork) struct DaemonReloadTests {
    /// Each bad file, and the text its error line must name.
    static let badConfigurations: [(file: String, names: String)] = [
        ("ENI_AGENT_IMDS_TIMEOUT=soon", "ENI_AGENT_IMDS_TIMEOUT"),
        ("ENI_AGENT_NO_SUCH_KEY=1", "ENI_AGENT_NO_SUCH_KEY"),
        ("ENI_AGENT_REMOVAL_GRACE=-3", "ENI_AGENT_REMOVAL_GRACE"),
        ("this is not a KEY=value line at all", "eni-agent.env:2"),
        // Too large for milliseconds: the daemon died of SIGILL here instead of keeping its configuration.
        ("ENI_AGENT_READY_TIMEOUT=3000000000000h", "ENI_AGENT_READY_TIMEOUT=3000000000000h"),
    ]

    @Test(arguments: badConfigurations.indices)
    func aBadConfigurationOnSighupIsLoggedAndTheOldOneStaysInEffect(index: Int) async throws {
        let (file, names) = Self.badConfigurations[index]
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_POLL_INTERVAL": "60s"])
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        try run.lab.writeConfig(file)
        let count = run.notify.messages.count
        run.daemon.signal(SIGHUP)
        let logged = await eventually { !run.lines("error", containing: "reload failed").isEmpty }
        #expect(logged, "\(run.diagnostics)")
        let error = try #require(run.lines("error", containing: "reload failed").first)
        #expect(error.message.contains(names), "\(error)")
        #expect(error.message.contains("keeping the running configuration"), "\(error)")
        // systemd still hears the reload end: RELOADING=1 then READY=1.
        #expect(await eventually { run.notify.first("READY", "1", from: count) != nil }, "\(run.diagnostics)")
        #expect(run.notify.first("RELOADING", "1", from: count) != nil)

        // Still running, still restoring from events with the configuration it had.
        try run.lab.ecs.ip("addr", "del", "192.168.1.212/24", "dev", "eth1")
        let restored = await eventually(timeout: .seconds(2)) { (try? run.lab.addresses("eth1").contains("192.168.1.212/24")) ?? false }
        #expect(restored && run.daemon.isRunning, "\(run.diagnostics)")
        #expect(run.lines("notice", containing: "configuration reloaded").isEmpty)
    }

    /// With a 1 s poll and the default grace of 2: once the reload has taken effect, three
    /// complete reads go by, more than enough to remove an address that were removable.
    @Test func aGoodConfigurationOnSighupTakesEffect() async throws {
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_POLL_INTERVAL": "1s"])
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        try run.lab.writeConfig("ENI_AGENT_IGNORE_INTERFACES=eth2")
        run.daemon.signal(SIGHUP)
        #expect(await eventually(timeout: .seconds(30)) { !run.lines("notice", containing: "configuration reloaded").isEmpty },
                "\(run.diagnostics)")
        // The reload re-reads metadata at once; the planner then says it leaves eth2 alone.
        #expect(await eventually(timeout: .seconds(30)) {
            !run.lines("info", containing: "eth2").filter { $0.message.contains("ignored by configuration") }.isEmpty
        }, "\(run.diagnostics)")

        // eth2 is no longer managed: what is removed there stays removed; eth1 still is.
        try run.lab.ecs.ip("addr", "del", "192.168.1.222/24", "dev", "eth2")
        try run.lab.ecs.ip("addr", "del", "192.168.1.212/24", "dev", "eth1")
        let eth1 = await eventually(timeout: .seconds(30)) { (try? run.lab.addresses("eth1").contains("192.168.1.212/24")) ?? false }
        #expect(eth1, "\(run.diagnostics)")
        // Three more complete reads of the metadata service, each a chance to act on eth2.
        let reads = DaemonHotplugTests.reads(run.lab)
        #expect(await eventually(timeout: .seconds(60)) { DaemonHotplugTests.reads(run.lab) >= reads + 3 }, "\(run.diagnostics)")
        #expect(try !run.lab.addresses("eth2").contains("192.168.1.222/24"), "\(run.diagnostics)")
        // Ignoring a link is not removing it: the rest of eth2's configuration stays.
        #expect(try run.lab.addresses("eth2").contains("192.168.1.221/24"), "\(run.diagnostics)")
        #expect(try run.lab.routeGet("8.8.8.8", from: "192.168.1.221").contains("dev eth2"))
    }
}
