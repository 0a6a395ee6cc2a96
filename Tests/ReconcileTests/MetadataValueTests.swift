// SPDX-License-Identifier: Apache-2.0
import Testing
import Model
@testable import Reconcile

/// Issue 16: values metadata must never make the agent configure, whatever it claims, and how
/// little of the rest they stop (docs/design.md §4.2, §4.6).
@Suite("Planner: bad metadata values")
struct MetadataValueTests {
    @Test func theMetadataServicesAddressAndOtherUnusableOnesAreNeverConfigured() {
        var network = Lab.network
        network.enis[2].ipv4Subnet = prefix("100.100.100.0/24")
        network.enis[2].primaryIPv4 = v4("100.100.100.10")
        network.enis[2].gateway = v4("100.100.100.1")
        network.enis[2].privateIPv4s = [v4("100.100.100.10"), v4("100.100.100.200"), v4("100.100.100.11")]
        network.enis[1].privateIPv4s += [v4("127.0.0.1"), v4("0.0.0.0"), v4("224.0.0.5")]
        let plan = Reconcile.plan(desired: network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig())
        for bad in ["100.100.100.200", "127.0.0.1", "0.0.0.0", "224.0.0.5"] {
            #expect(!plan.lines.contains { $0.contains(" \(bad)/") || $0.contains("from \(bad) ") }, "\(bad)")
        }
        #expect(plan.notes.contains { $0.message == "eni-bp1third private-ipv4s 100.100.100.200 rejected: the metadata service's own address; not applied" })
        #expect(plan.notes.contains { $0.message == "eni-bp1second private-ipv4s 127.0.0.1 rejected: a loopback address; not applied" })
        // The valid entries of both ENIs are managed.
        #expect(plan.lines.contains("address add 100.100.100.11/24 dev eth2 noprefixroute proto 233"))
        #expect(plan.lines.contains("address add 192.168.1.213/24 dev eth1 noprefixroute proto 233"))
    }

    @Test(arguments: ["0.0.0.0/1", "10.0.0.0/7", "192.168.1.200/31"])
    func aVSwitchTooWideOrTooNarrowIsRefusedAndItsENIsIPv4Waits(cidr: String) {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis[0].ipv4Subnet = prefix(cidr)
        network.enis[0].privateIPv4s = [v4("192.168.1.201"), v4("192.168.1.205")]
        network.enis[0].ipv6s.append(v6("2408:4005:3a4:ab00::205"))
        network.enis[2].privateIPv4s = [v4("192.168.1.221")]
        let plan = cycle.run(network)
        #expect(plan.notes.contains { $0.level == .warning && $0.message.hasPrefix("eni-bp1primary vSwitch CIDR \(prefix(cidr)) rejected: prefix length") })
        // No IPv4 address with that prefix length; what the ENI has stays (its removals wait);
        // its IPv6 and the other ENIs carry on.
        #expect(!plan.lines.contains { $0.contains("192.168.1.205") })
        #expect(!plan.lines.contains { $0.hasPrefix("address del 192.168.1.202") })
        #expect(plan.lines.contains("-6 address add 2408:4005:3a4:ab00::205/64 dev eth0 nodad proto 233"))
        #expect(plan.lines.contains("address del 192.168.1.222/24 dev eth2 noprefixroute proto 233"))
    }

    @Test func aGatewayThatIsALocalAddressIsRefusedOnceNotFailedEveryPoll() {
        var network = Lab.network
        network.enis[1].gateway = v4("192.168.1.212")      // one of its own
        network.enis[2].gateway = v4("192.168.1.201")      // the instance's DHCP address
        var cycle = Cycle(kernel: Lab.kernel)
        let first = cycle.run(network)
        #expect(!first.lines.contains { $0.contains("route add default via 192.168.1.2") })
        let warning = "eni-bp1second gateway 192.168.1.212 rejected: it is an address of this instance; no default route through it"
        #expect(first.notes.contains { $0.level == .warning && $0.message == warning })
        let second = cycle.run(network)
        #expect(second.lines == [])
        #expect(second.notes.map(\.message) == first.notes.map(\.message), "the same notes, so the daemon logs them once")
    }

    @Test func aLinkLocalIPv6GatewayIsRoutedViaWithoutOnlinkOrTheSubnetRoute() {
        var network = Lab.network
        for i in network.enis.indices { network.enis[i].ipv6Gateway = v6("fe80::1") }
        var cycle = Cycle(kernel: Lab.kernel)
        let plan = cycle.run(network)
        #expect(plan.lines.contains("-6 route add default via fe80::1 dev eth1 table 20003 proto 233"))
        #expect(plan.lines.contains("-6 route add default via fe80::1 dev eth0 table main proto 233"))
        #expect(!plan.lines.contains("-6 route add 2408:4005:3a4:ab00::/64 dev eth1 table 20003 proto 233"))
        #expect(plan.lines.contains("-6 route add 2408:4005:3a4:ab00::/64 dev eth1 src 2408:4005:3a4:ab00::211 table 10003 proto 233"))
        #expect(plan.removalsAllowed, "a link-local gateway is valid: nothing is held")
        #expect(cycle.run(network).lines == [])
    }
}
