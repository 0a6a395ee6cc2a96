// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// A NIC appears before the metadata service lists it (an ENI attached a moment ago): the
/// daemon looks every second for 30 s, then backs off; it configures the ENI as soon as it
/// is listed. (The looks' spacing, and the return to the poll once the NIC is listed, are
/// SchedulePropertyTests' subject, in virtual time.)
@Suite(.requiresRoot, .blockingWork) struct DaemonHotplugTests {
    static let macsPath = "/latest/meta-data/network/interfaces/macs/"

    /// Reads of the metadata service so far (each read lists `macs/` once).
    static func reads(_ lab: LabFixture) -> Int {
        guard let text = try? lab.admin("GET", "/_sim/counters"),
              let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return -1 }
        return (json["byPath"] as? [String: Int])?[macsPath] ?? 0
    }

    /// A fourth ENI for the simulator to list, made from the third.
    static func fourthENI(_ lab: LabFixture, mac: String) throws -> [String: Any] {
        var eni = try lab.simENI("00:16:3e:00:00:03")
        eni["mac"] = mac
        eni["id"] = "eni-bp1d66qjxb3qoin3ex04"
        eni["primaryIp"] = "192.168.1.231"
        eni["privateIpv4s"] = ["192.168.1.231", "192.168.1.232"]
        eni["ipv6s"] = ["2408:4005:3a4:ab00::231"]
        return eni
    }

    static func waitingForMetadata(_ run: DaemonLab, _ ifname: String) -> Bool {
        !run.lines("info", containing: "waiting for metadata to list \(ifname)").isEmpty
    }

    @Test func aHotPluggedENIIsConfiguredOnceItsMetadataAppears() async throws {
        // The default 10 s poll: what is seen is the hot-plug schedule, not the poll.
        let run = try await DaemonLab.start()
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let mac = "00:16:3e:00:00:04"
        try run.lab.pinGatewayMAC()
        try run.lab.addLink(index: 3, mac: mac)
        #expect(await eventually(timeout: .seconds(30)) { Self.waitingForMetadata(run, "eth3") }, "\(run.diagnostics)")

        // The cloud takes its time to list the ENI; meanwhile the agent looks again and again,
        // never more than once a second (the spacing is SchedulePropertyTests' subject).
        let fastStart = ContinuousClock.now
        let readsBefore = Self.reads(run.lab)
        #expect(await eventually(timeout: .seconds(60)) { Self.reads(run.lab) >= readsBefore + 3 }, "\(run.diagnostics)")
        let fastReads = Self.reads(run.lab) - readsBefore
        let fastWindow = ContinuousClock.now - fastStart
        report("hot-plug: \(fastReads) metadata reads in \(fastWindow.ms) ms while eth3 was not listed")
        #expect(fastReads <= Int(fastWindow.seconds) + 1, "\(fastReads) reads in \(fastWindow)\n\(run.diagnostics)")

        let eni = try Self.fourthENI(run.lab, mac: mac)
        let monitor = try await KernelMonitor(run.lab.ecs)
        defer { monitor.stop() }
        try run.lab.putSimENI(eni)
        let listed = KernelMonitor.now
        let configured = await eventually(timeout: .seconds(30), every: .milliseconds(20)) {
            let addresses = (try? run.lab.addresses("eth3")) ?? []
            return addresses.contains("192.168.1.231/24") && addresses.contains("192.168.1.232/24")
                && ((try? run.lab.rules()) ?? []).contains { $0.contains("from 192.168.1.232 lookup 200") }
        }
        #expect(configured, "\(run.diagnostics)")
        // Until the last rule of the new ENI is in (the rules come after the addresses).
        let lastRule = try #require(monitor.first("from 192.168.1.232 lookup 200", after: listed), "\(monitor.events)")
        report("hot-plug: metadata listed -> eth3 configured in \((lastRule.at - listed).duration.ms) ms (kernel event)")
        #expect(try run.lab.routeGet("8.8.8.8", from: "192.168.1.232").contains("dev eth3"))
        // Said once, not once per look.
        #expect(run.lines("info", containing: "waiting for metadata to list eth3").count == 1, "\(run.diagnostics)")
    }

    /// Issue 15: a NIC that appeared with a MAC of its own and took the ENI's a moment later
    /// was never configured (the MAC change only re-planned from the old read). It is looked at
    /// again on the change, looked for until metadata lists the new MAC, and configured, with
    /// the poll a minute away.
    @Test func aNICThatTakesAnENIsMACLaterIsConfigured() async throws {
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_POLL_INTERVAL": "60s"])
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let mac = "00:16:3e:00:00:04"
        try run.lab.pinGatewayMAC()
        try run.lab.addLink(index: 3, mac: "02:00:00:00:00:44")
        try run.lab.ecs.ip("link", "set", "eth3", "address", mac)
        #expect(await eventually(timeout: .seconds(30)) { Self.waitingForMetadata(run, "eth3") }, "\(run.diagnostics)")

        let eni = try Self.fourthENI(run.lab, mac: mac)
        try run.lab.putSimENI(eni)
        let configured = await eventually(timeout: .seconds(30), every: .milliseconds(20)) {
            ((try? run.lab.addresses("eth3")) ?? []).contains("192.168.1.232/24")
        }
        #expect(configured, "\(run.diagnostics)")
    }
}
