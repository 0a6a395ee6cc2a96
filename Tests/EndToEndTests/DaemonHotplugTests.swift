import Foundation
import Testing
import TestSupport

/// A NIC appears before the metadata service lists it (an ENI attached a moment ago): the
/// daemon looks every second for 30 s, then backs off; it configures the ENI as soon as it
/// is listed.
@Suite(.requiresRoot, .blockingWork) struct DaemonHotplugTests {
    static let macsPath = "/latest/meta-data/network/interfaces/macs/"

    /// Reads of the metadata service so far (each read lists `macs/` once).
    static func reads(_ lab: LabFixture) -> Int {
        guard let text = try? lab.admin("GET", "/_sim/counters"),
              let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return -1 }
        return (json["byPath"] as? [String: Int])?[macsPath] ?? 0
    }

    static func waitingForMetadata(_ run: DaemonLab, _ ifname: String) -> Bool {
        !run.lines("info", containing: "waiting for metadata to list \(ifname)").isEmpty
    }

    @Test func aHotPluggedENIIsConfiguredWithinTwoSecondsOfItsMetadataAppearing() async throws {
        // The default 10 s poll: what is measured is the hot-plug schedule, not the poll.
        let run = try await DaemonLab.start()
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let mac = "00:16:3e:00:00:04"
        try run.lab.pinGatewayMAC()
        try run.lab.addLink(index: 3, mac: mac)
        #expect(await eventually { Self.waitingForMetadata(run, "eth3") }, "\(run.diagnostics)")

        // The ENI's metadata shows up ~3 s later; meanwhile the agent asks once a second.
        let fastStart = ContinuousClock.now
        let readsBefore = Self.reads(run.lab)
        try await Task.sleep(for: .seconds(3))  // the point: the cloud takes its time
        let fastReads = Self.reads(run.lab) - readsBefore
        let fastWindow = ContinuousClock.now - fastStart
        report("hot-plug: \(fastReads) metadata reads in \(fastWindow.ms) ms while eth3 was not listed")
        #expect(fastReads >= 2 && fastReads <= Int(fastWindow.seconds) + 1, "\(fastReads) reads in \(fastWindow)\n\(run.diagnostics)")

        var eni = try run.lab.simENI("00:16:3e:00:00:03")
        eni["mac"] = mac
        eni["id"] = "eni-bp1d66qjxb3qoin3ex04"
        eni["primaryIp"] = "192.168.1.231"
        eni["privateIpv4s"] = ["192.168.1.231", "192.168.1.232"]
        eni["ipv6s"] = ["2408:4005:3a4:ab00::231"]
        let monitor = try await KernelMonitor(run.lab.ecs)
        defer { monitor.stop() }
        try run.lab.putSimENI(eni)
        let listed = KernelMonitor.now
        let configured = await eventually(timeout: .seconds(5), every: .milliseconds(20)) {
            let addresses = (try? run.lab.addresses("eth3")) ?? []
            return addresses.contains("192.168.1.231/24") && addresses.contains("192.168.1.232/24")
                && ((try? run.lab.rules()) ?? []).contains { $0.contains("from 192.168.1.232 lookup 200") }
        }
        #expect(configured, "\(run.diagnostics)")
        // Until the last rule of the new ENI is in (the rules come after the addresses).
        let lastRule = try #require(monitor.first("from 192.168.1.232 lookup 200", after: listed), "\(monitor.events)")
        let latency = (lastRule.at - listed).duration
        report("hot-plug: metadata listed -> eth3 configured in \(latency.ms) ms (kernel event)")
        #expect(latency <= .seconds(2), "\(latency)\n\(run.diagnostics)")
        #expect(try run.lab.routeGet("8.8.8.8", from: "192.168.1.232").contains("dev eth3"))

        // Found: back to the 10 s poll, no more reads for a while.
        let readsAfter = Self.reads(run.lab)
        try await Task.sleep(for: .seconds(3))  // the point: nothing is asked meanwhile
        #expect(Self.reads(run.lab) == readsAfter, "reads went on after eth3 was configured\n\(run.diagnostics)")
    }

    /// The long one (about 45 s): a NIC that metadata never lists (an SR-IOV VF, a NIC of
    /// another tool) is looked for once a second for 30 s, then with doubling delays up to the
    /// poll interval.
    @Test func aNICMetadataNeverListsIsLookedForFastFor30SecondsThenLessOften() async throws {
        let run = try await DaemonLab.start()
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        try run.lab.pinGatewayMAC()
        try run.lab.addLink(index: 3, mac: "00:16:3e:00:00:99")
        #expect(await eventually { Self.waitingForMetadata(run, "eth3") }, "\(run.diagnostics)")
        let seen = ContinuousClock.now
        let readsAtStart = Self.reads(run.lab)

        try await Task.sleep(until: seen + .seconds(28))  // the point: the hot-plug window passes
        let fastReads = Self.reads(run.lab) - readsAtStart
        try await Task.sleep(until: seen + .seconds(31))
        let readsAtWindowEnd = Self.reads(run.lab)
        try await Task.sleep(until: seen + .seconds(46))
        let slowReads = Self.reads(run.lab) - readsAtWindowEnd
        report("never-listed NIC: \(fastReads) reads in the first 28 s, \(slowReads) in the 15 s after the 30 s window (poll 10 s)")
        // 1 s apart (plus the read) for 28 s...
        #expect(fastReads >= 20 && fastReads <= 29, "\(fastReads)")
        // ...then 2, 4, 8, 10 s apart (±10 %): at most 4 reads start within 15 s.
        #expect(slowReads <= 4, "\(slowReads)\n\(run.diagnostics)")
        #expect(run.daemon.isRunning)
        // Said once, not once per look.
        #expect(run.lines("info", containing: "waiting for metadata to list eth3").count == 1, "\(run.diagnostics)")
    }
}
