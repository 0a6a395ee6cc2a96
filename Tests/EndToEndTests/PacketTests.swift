// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// docs/design.md §3's observable result with real packets: traffic from an ENI's address
/// leaves through that ENI and no other, and a main-table route more specific than default
/// still wins for every source. The vpc side counts what it receives from each ENI's link.
@Suite(.requiresRoot, .blockingWork) struct PacketTests {
    /// A converged lab whose links carry only what the test sends: no router solicitations
    /// (the kernel's default repeats them forever), and the vSwitch knows every address's MAC
    /// (as a VPC does) so that its replies need no ARP or neighbour solicitation that would land
    /// on another ENI's counter. The ENIs still resolve the gateway themselves, on their own link.
    func quietLab() async throws -> LabFixture {
        let lab = try await LabFixture.start()
        do {
            // Multicast listener reports repeat at random within this interval after each join:
            // 10 ms instead of a second keeps their burst short.
            let sysctls = (0..<3).flatMap { ["net.ipv6.conf.eth\($0).router_solicitations=0",
                                             "net.ipv6.conf.eth\($0).mldv2_unsolicited_report_interval=10"] }
            let set = try lab.ecs.exec(["sysctl", "-qw"] + sysctls)
            #expect(set.status == 0, "\(set)")
            let result = try await lab.sync()
            #expect(result.status == 0, "\(result)")
            let addresses = [(Sample.primaryAddress, 0), (Sample.eth0Secondary, 0), (Sample.eth0IPv6, 0)]
                + Sample.secondaryIPv4 + Sample.secondaryIPv6
            for (address, link) in addresses {
                try lab.vpc.ip("neigh", "replace", address, "lladdr", LabFixture.mac(link), "dev", "br0", "nud", "permanent")
            }
            try await lab.settle()
            try await awaitQuiet(lab, for: .seconds(1))
            return lab
        } catch {
            lab.destroy()
            throw error
        }
    }

    func counters(_ lab: LabFixture) throws -> [Int] {
        try (0..<3).map { try lab.receivedPackets(fromLink: $0) }
    }

    /// Waits until no link has received anything for `window`: the point is that time passes
    /// without a packet (IPv6 multicast listener reports follow address changes for a while).
    func awaitQuiet(_ lab: LabFixture, for window: Duration = .milliseconds(300)) async throws {
        let quiet = try await eventually(timeout: .seconds(20), every: .milliseconds(10)) {
            let before = try counters(lab)
            try await Task.sleep(for: window)
            return try counters(lab) == before
        }
        #expect(quiet, "the lab's links never went quiet")
    }

    /// Pings `destination` from `source` and returns what each link received meanwhile.
    func ping(_ lab: LabFixture, from source: String, to destination: String) async throws -> [Int] {
        try await awaitQuiet(lab)
        let before = try counters(lab)
        let family = source.contains(":") ? "-6" : "-4"
        let result = try lab.ecs.exec(["ping", family, "-n", "-c1", "-W1", "-I", source, destination])
        #expect(result.status == 0, "\(result)")
        let after = try counters(lab)
        return zip(after, before).map { $0 - $1 }
    }

    @Test func aPacketFromEachSecondaryIPv4LeavesThroughItsOwnENIOnly() async throws {
        let lab = try await quietLab()
        defer { lab.destroy() }
        for (address, link) in Sample.secondaryIPv4 {
            let received = try await ping(lab, from: address, to: "8.8.8.8")
            #expect(received[link] >= 1, "from \(address): \(received)")
            #expect(received.enumerated().allSatisfy { $0.offset == link || $0.element == 0 }, "from \(address): \(received)")
        }
        // The primary ENI's addresses keep using eth0.
        for address in [Sample.primaryAddress, Sample.eth0Secondary] {
            let received = try await ping(lab, from: address, to: "8.8.8.8")
            #expect(received[0] >= 1 && received[1] == 0 && received[2] == 0, "from \(address): \(received)")
        }
    }

    @Test func aPacketFromEachSecondaryIPv6LeavesThroughItsOwnENIOnly() async throws {
        let lab = try await quietLab()
        defer { lab.destroy() }
        for (address, link) in Sample.secondaryIPv6 {
            let received = try await ping(lab, from: address, to: "2001:4860:4860::8888")
            #expect(received[link] >= 1, "from \(address): \(received)")
            #expect(received.enumerated().allSatisfy { $0.offset == link || $0.element == 0 }, "from \(address): \(received)")
        }
        let received = try await ping(lab, from: Sample.eth0IPv6, to: "2001:4860:4860::8888")
        #expect(received[0] >= 1 && received[1] == 0 && received[2] == 0, "from \(Sample.eth0IPv6): \(received)")
    }

    @Test func aMainTableRouteMoreSpecificThanDefaultWinsForEverySource() async throws {
        let lab = try await quietLab()
        defer { lab.destroy() }
        try lab.vpc.ip("addr", "add", "10.99.0.1/32", "dev", "lo")
        try lab.ecs.ip("route", "add", "10.99.0.0/24", "via", Sample.gateway, "dev", "eth0")
        for (address, _) in Sample.secondaryIPv4 + [(Sample.primaryAddress, 0)] {
            let route = try lab.routeGet("10.99.0.1", from: address)
            #expect(route.contains("via \(Sample.gateway) dev eth0") && !route.contains("table"), "from \(address): \(route)")
            let received = try await ping(lab, from: address, to: "10.99.0.1")
            #expect(received[0] >= 1 && received[1] == 0 && received[2] == 0, "from \(address): \(received)")
        }
        // The vSwitch subnet from a secondary address stays on its own ENI (the subnet table
        // comes before the suppress rule), while the Internet still leaves through it.
        #expect(try lab.routeGet("192.168.1.253", from: "192.168.1.212").contains("dev eth1 table \(10000 + lab.linkIndex("eth1"))"))
        #expect(try lab.routeGet("8.8.8.8", from: "192.168.1.212").contains("dev eth1 table \(20000 + lab.linkIndex("eth1"))"))
    }
}
