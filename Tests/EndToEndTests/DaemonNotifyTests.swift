// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// The daemon's conversation with systemd (sd_notify), captured on a NOTIFY_SOCKET of the
/// test's own: readiness, status, watchdog, reload and stop.
@Suite(.requiresRoot, .blockingWork) struct DaemonNotifyTests {
    /// Everything the sample metadata asks for, as `ip addr` shows it.
    static let convergedAddresses: [String: Set<String>] = [
        "eth0": ["192.168.1.201/24", "192.168.1.202/24", "2408:4005:3a4:ab00::201/64"],
        "eth1": ["192.168.1.211/24", "192.168.1.212/24", "192.168.1.213/24",
                 "2408:4005:3a4:ab00::211/64", "2408:4005:3a4:ab00::212/64"],
        "eth2": ["192.168.1.221/24", "192.168.1.222/24", "2408:4005:3a4:ab00::221/64"],
    ]

    static func kernelAddresses(_ lab: LabFixture) throws -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for name in convergedAddresses.keys { result[name] = Set(try lab.addresses(name)) }
        return result
    }

    @Test func readyArrivesOnlyOnceTheKernelIsConvergedWithAStatusLine() async throws {
        // Polls every second: the syncs after the first are complete too, and send no READY.
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_POLL_INTERVAL": "1s"])
        defer { run.destroy() }
        guard let ready = await run.waitReady() else { return }
        // Read the kernel the moment READY is seen: a unit ordered after eni-agent relies on it.
        let atReady = try Self.kernelAddresses(run.lab)
        #expect(atReady == Self.convergedAddresses, "\(run.diagnostics)")
        #expect(try run.lab.routeGet("8.8.8.8", from: "192.168.1.212").contains("dev eth1"))
        #expect(try run.lab.routeGet("8.8.8.8", from: "192.168.1.222").contains("dev eth2"))

        // READY carries the first status, so systemctl status never shows a stale "starting".
        let status = try #require(ready.fields["STATUS"], "\(ready)")
        #expect(status.contains("3 ENIs"), "\(status)")
        #expect(status.contains("sync #1"), "\(status)")
        let before = try #require(run.notify.first("STATUS")?.1)
        #expect(before.at <= ready.at)
        // Two more complete syncs (the polls), and still the one READY.
        let readyIndex = try #require(run.notify.first("READY", "1")?.0)
        #expect(await eventually(timeout: .seconds(60)) {
            run.notify.messages.dropFirst(readyIndex + 1).filter { $0.fields["STATUS"]?.contains("0 changes") == true }.count >= 2
        }, "\(run.diagnostics)")
        #expect(run.notify.messages.filter { $0.has("READY") }.count == 1, "\(run.diagnostics)")
        #expect(run.lines("notice", containing: "ready:").count == 1, "\(run.diagnostics)")
    }

    @Test func theWatchdogIsFedRepeatedlyWhenWatchdogUsecIsTwoSeconds() async throws {
        let run = try await DaemonLab.start(watchdog: .seconds(2))
        defer { run.destroy() }
        guard let ready = await run.waitReady() else { return }
        func pings() -> [NotifyMessage] { run.notify.messages.filter { $0.has("WATCHDOG", "1") && $0.at >= ready.at } }
        // Six pings with a poll 10 s away: the loop pings on its own schedule, not with the
        // polls (their cadence, a third of WATCHDOG_USEC, is SchedulePropertyTests' subject).
        #expect(await eventually(timeout: .seconds(60)) { pings().count >= 6 }, "\(run.diagnostics)")
        var last = ready.at
        let gaps = pings().map { ping in
            defer { last = ping.at }
            return ping.at - last
        }
        report("watchdog: \(gaps.count) pings after READY, largest gap \((gaps.max() ?? .zero).ms) ms (WATCHDOG_USEC=2 s)")
        #expect(run.daemon.isRunning)
    }

    @Test func sighupReportsReloadingWithMonotonicTimeThenReadyAgain() async throws {
        let run = try await DaemonLab.start()
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let count = run.notify.messages.count
        let sentAt = monotonicMicroseconds()
        run.daemon.signal(SIGHUP)
        let reloaded = await eventually { run.notify.first("READY", "1", from: count) != nil }
        #expect(reloaded, "\(run.diagnostics)")
        let (reloadingIndex, reloading) = try #require(run.notify.first("RELOADING", "1", from: count), "\(run.diagnostics)")
        let (readyIndex, _) = try #require(run.notify.first("READY", "1", from: count))
        #expect(reloadingIndex < readyIndex)
        // MONOTONIC_USEC is CLOCK_MONOTONIC when the reload began (systemd 253 checks it).
        let usec = try #require(reloading.fields["MONOTONIC_USEC"].flatMap(UInt64.init), "\(reloading)")
        #expect(usec >= sentAt && usec <= monotonicMicroseconds(), "\(usec) vs \(sentAt)")
        #expect(run.daemon.isRunning)
        // The line comes through the daemon's stderr pipe, which may be read after READY=1 arrives.
        let logged = await eventually { run.lines("notice", containing: "configuration reloaded").count == 1 }
        #expect(logged, "\(run.diagnostics)")
    }

    @Test func sigtermReportsStoppingAndExitsZeroLeavingEveryAddress() async throws {
        let run = try await DaemonLab.start()
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let rulesBefore = try run.lab.rules()
        // A generous bound that only catches a hang; the time is printed.
        let (took, status) = await run.stop(timeout: .seconds(30))
        report("SIGTERM to exit: \(took.ms) ms")
        #expect(status == 0, "\(took), status \(String(describing: status))\n\(run.diagnostics)")
        #expect(run.notify.messages.contains { $0.has("STOPPING", "1") }, "\(run.diagnostics)")
        #expect(try Self.kernelAddresses(run.lab) == Self.convergedAddresses)
        #expect(try run.lab.rules() == rulesBefore)
        #expect(try run.lab.routeGet("8.8.8.8", from: "192.168.1.212").contains("dev eth1"))
    }

    /// An address an admin added on an ENI, in the ENI's subnet, is a kernel "secondary" of the
    /// ENI's primary IP, which the agent added first: without promote_secondaries, deleting ours
    /// would make the kernel delete theirs too. Both settings are checked.
    @Test(arguments: [false, true])
    func cleanupOnStopRemovesWhatTheAgentOwnsAndNothingElse(promoteSecondaries: Bool) async throws {
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_CLEANUP_ON_STOP": "true"])
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        try run.lab.ecs.exec(["sysctl", "-qw", "net.ipv4.conf.eth1.promote_secondaries=\(promoteSecondaries ? 1 : 0)"])
        // Foreign objects, as an admin or another tool would leave them.
        try run.lab.ecs.ip("addr", "add", "192.168.1.240/24", "dev", "eth1")
        try run.lab.ecs.ip("rule", "add", "priority", "30000", "from", "192.168.1.240", "lookup", "main")
        try run.lab.ecs.ip("route", "add", "10.9.9.0/24", "via", "192.168.1.253", "dev", "eth0", "table", "10001")
        let (took, status) = await run.stop(timeout: .seconds(30))
        #expect(status == 0, "\(took), status \(String(describing: status))\n\(run.diagnostics)")

        // The primary address of the primary ENI was never the agent's (DHCP's), the foreign
        // ones neither.
        #expect(try Set(run.lab.addresses("eth0")) == ["192.168.1.201/24"], "\(run.diagnostics)")
        if promoteSecondaries {
            #expect(try Set(run.lab.addresses("eth1")) == ["192.168.1.240/24"], "\(run.diagnostics)")
        } else {
            // Ours stays rather than take theirs with it, and the log says why.
            #expect(try Set(run.lab.addresses("eth1")) == ["192.168.1.211/24", "192.168.1.240/24"], "\(run.diagnostics)")
            let kept = run.lines("warning", containing: "left 192.168.1.211/24 on eth1")
            #expect(kept.count == 1 && kept.first?.message.contains("192.168.1.240/24") == true, "\(run.diagnostics)")
        }
        #expect(try run.lab.addresses("eth2").isEmpty, "\(run.diagnostics)")
        let rules = try run.lab.rules()
        #expect(rules.contains { $0.hasPrefix("30000:") && $0.contains("192.168.1.240") }, "\(rules)")
        #expect(!rules.contains { $0.contains("proto eni-agent") || $0.contains("proto 233") }, "\(rules)")
        let routes = try run.lab.ecs.ip("route", "show", "table", "all")
        #expect(!routes.contains("proto 233") && !routes.contains("proto eni-agent"), "\(routes)")
        #expect(routes.contains("10.9.9.0/24"), "\(routes)")
        #expect(run.lines("notice", containing: "cleanup on stop").count == 1, "\(run.diagnostics)")
        // Every address the agent removed is logged as removed (secondaries go before the
        // primary that would have taken them along silently).
        let removed = Set(run.lines("notice").filter { $0.fields["action"] == "remove" }.compactMap { $0.fields["address"] })
        #expect(removed.isSuperset(of: ["192.168.1.202", "192.168.1.212", "192.168.1.213", "192.168.1.221", "192.168.1.222"]), "\(removed)\n\(run.diagnostics)")
    }

    @Test func readyComesAtTheReadyTimeoutWithADegradedStatusWhenMetadataIsUnreachable() async throws {
        // The metadata address answers nothing at all (no route, no RST): every connect hangs
        // until its timeout, the worst case for a read.
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_READY_TIMEOUT": "2s"], watchdog: .seconds(2)) { lab in
            try lab.vpc.ip("addr", "del", "100.100.100.200/32", "dev", "lo")
        }
        defer { run.destroy() }
        guard let ready = await run.waitReady(timeout: .seconds(30)) else { return }
        let after = ready.at - run.startedAt
        report("READY without metadata: \(after.ms) ms after start (ENI_AGENT_READY_TIMEOUT=2s)")
        // Not before the timeout: the first read is still hanging (load only makes it later).
        #expect(after >= .seconds(2), "\(run.diagnostics)")
        let status = try #require(ready.fields["STATUS"])
        #expect(status.contains("degraded"), "\(status)")
        #expect(await eventually(timeout: .seconds(30)) { run.lines("warning", containing: "ready").count == 1 }, "\(run.diagnostics)")
        #expect(try run.lab.addresses("eth1").isEmpty)

        // A hung read is still progress the watchdog hears about: the pings go on after READY
        // (DaemonLoopTests holds that they come from the sync's pinger while the read hangs).
        let readyIndex = try #require(run.notify.first("READY", "1")?.0)
        #expect(await eventually(timeout: .seconds(60)) {
            run.notify.messages.dropFirst(readyIndex + 1).filter { $0.has("WATCHDOG", "1") }.count >= 3
        }, "\(run.diagnostics)")

        // SIGTERM while the read hangs: it is cancelled, not waited for (a bound that only
        // catches a hang: the read's own budget is 20 s).
        let (took, exit) = await run.stop(timeout: .seconds(15))
        report("SIGTERM during a hung metadata read to exit: \(took.ms) ms")
        #expect(exit == 0, "\(took), status \(String(describing: exit))\n\(run.diagnostics)")
        #expect(run.notify.messages.contains { $0.has("STOPPING", "1") })
    }
}
