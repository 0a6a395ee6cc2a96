// SPDX-License-Identifier: Apache-2.0
import Testing
import Model
@testable import Reconcile

/// Issue 15, item 6: an address belongs to one ENI (docs/design.md §3).
@Suite("Planner: one ENI per address")
struct AddressClaimTests {
    static func on(_ plan: Plan, _ address: String) -> [String] {
        plan.lines.filter { $0.hasPrefix("address add \(address)/") }.map { $0.components(separatedBy: " ")[4] }
    }

    @Test func anAddressListedOnTwoENIsGoesOnOneOnlyAndStaysThere() {
        var network = Lab.network
        network.enis[1].privateIPv4s.append(v4("192.168.1.230"))
        network.enis[2].privateIPv4s.append(v4("192.168.1.230"))
        var cycle = Cycle(kernel: Lab.kernel)
        let plan = cycle.run(network)
        #expect(Self.on(plan, "192.168.1.230") == ["eth1"], "the lowest MAC, neither holding it")
        #expect(!plan.lines.contains { $0.contains("from 192.168.1.230 lookup 2") && $0.contains("20004") })
        #expect(plan.notes.contains { $0.level == .warning && $0.message.contains("192.168.1.230 is listed on both eni-bp1second and eni-bp1third: configured on eni-bp1second only") })
        #expect(cycle.run(network).lines == [])

        // Where one of them already holds it, it stays there: no churn while metadata lists it twice.
        var held = Lab.kernel
        held.addresses.append(Address(ifindex: 4, ifname: "eth2", prefix: prefix("192.168.1.230/24"), flags: [.noPrefixRoute], proto: 233))
        let sticky = Reconcile.plan(desired: network, actual: held, owned: Ownership(), config: PlanConfig())
        #expect(Self.on(sticky, "192.168.1.230").isEmpty)
        #expect(!sticky.lines.contains { $0.contains("192.168.1.230") && $0.contains("10003") })
    }

    @Test func anAddressMovedToAnotherENIMovesInTheSameSyncRulesIncluded() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 3))
        cycle.run(Lab.network)
        var moved = Lab.network
        moved.enis[1].privateIPv4s.removeAll { $0 == v4("192.168.1.213") }
        moved.enis[2].privateIPv4s.append(v4("192.168.1.213"))
        let plan = cycle.run(moved)
        #expect(plan.lines.contains("address add 192.168.1.213/24 dev eth2 noprefixroute proto 233"))
        #expect(plan.lines.contains("rule add from 192.168.1.213 lookup 20004 priority 20004 proto 233"))
        #expect(plan.lines.contains("address del 192.168.1.213/24 dev eth1 noprefixroute proto 233"))
        #expect(plan.lines.contains("rule del from 192.168.1.213 lookup 20003 priority 20003 proto 233"))
        #expect(plan.ops.filter(\.op.isRemoval).allSatisfy { $0.reason == "192.168.1.213 now belongs to eni-bp1third" })
        #expect(cycle.run(moved).lines == [])
    }

    @Test func aMoveWaitsWhileTheOldENIsReadIsIncompleteAndNothingIsPutOnTwoLinks() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        var moved = Lab.network
        moved.enis[1].privateIPv4s = [v4("192.168.1.211")]
        moved.enis[1].completeness = .incomplete(reason: "private-ipv4s: HTTP 500")
        moved.enis[2].privateIPv4s.append(v4("192.168.1.213"))
        let plan = cycle.run(moved)
        #expect(!plan.lines.contains { $0.contains("192.168.1.213") })
        #expect(plan.notes.contains { $0.message.contains("192.168.1.213 is listed on eni-bp1third but is still on eni-bp1second") })
    }

    @Test func thePrimaryENIsOwnAddressListedOnASecondaryENIIsNeverAddedThere() {
        var network = Lab.network
        network.enis[1].privateIPv4s.append(v4("192.168.1.201"))
        let plan = Reconcile.plan(desired: network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("192.168.1.201") })
        #expect(plan.notes.contains { $0.message.contains("192.168.1.201 is listed on eni-bp1second but is the primary address of eni-bp1primary: not configured on eni-bp1second") })

        // Put there by an older version, with rules that reroute the instance's primary
        // traffic: it goes at once, rules first.
        var kernel = Lab.kernel
        kernel.addresses.append(Address(ifindex: 3, ifname: "eth1", prefix: prefix("192.168.1.201/24"), flags: [.noPrefixRoute], proto: 233))
        kernel.rules.append(Rule(family: .v4, priority: 20003, source: prefix("192.168.1.201/32"), table: 20003))
        let cleanup = Reconcile.plan(desired: network, actual: kernel, owned: Ownership(), config: PlanConfig(removalGrace: 5))
        #expect(cleanup.lines.contains("rule del from 192.168.1.201 lookup 20003 priority 20003 proto 233"))
        #expect(cleanup.lines.contains("address del 192.168.1.201/24 dev eth1 noprefixroute proto 233"))
    }

    @Test func anotherENIsPrimaryAddressIsNeverAddedElsewhere() {
        var network = Lab.network
        network.enis[1].privateIPv4s.append(v4("192.168.1.221"))  // eth2's primary, listed on eth1 too
        let plan = Reconcile.plan(desired: network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig())
        #expect(Self.on(plan, "192.168.1.221") == ["eth2"])
        #expect(!plan.lines.contains("rule add from 192.168.1.221 lookup 20003 priority 20003 proto 233"))
    }
}

/// Issue 15, item 7: VLANs, macvlans, bridges and bonds carry their lower device's MAC.
@Suite("Planner: which link is an ENI's")
struct ENILinkTests {
    @Test func aVLANCarryingTheENIsMACIsNotTheENI() {
        var kernel = Lab.kernel
        kernel.links.insert(Link(index: 20, name: "eth1.100", mac: mac("00:16:3e:00:00:02"), isUp: true, kind: "vlan"), at: 0)
        kernel.links.insert(Link(index: 21, name: "mv0", mac: mac("00:16:3e:00:00:03"), isUp: true, kind: "macvlan"), at: 0)
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("eth1.100") || $0.contains("mv0") || $0.contains("10020") || $0.contains("10021") })
        #expect(plan.lines.contains("address add 192.168.1.212/24 dev eth1 noprefixroute proto 233"))
        #expect(plan.lines.contains("address add 192.168.1.222/24 dev eth2 noprefixroute proto 233"))
    }

    @Test func anENIEnslavedToABridgeIsReportedAndLeftAloneWithWhatItHolds() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        cycle.kernel.state.links[3].master = 21
        cycle.kernel.state.links.append(Link(index: 21, name: "br0", mac: mac("00:16:3e:00:00:03"), isUp: true, kind: "bridge"))
        var network = Lab.network
        network.enis[2].privateIPv4s = [v4("192.168.1.221"), v4("192.168.1.223")]
        let plan = cycle.run(network)
        #expect(!plan.lines.contains { $0.contains("eth2") || $0.contains("br0") || $0.contains("10004") || $0.contains("20004") }, "\(plan.lines)")
        #expect(plan.notes.contains { $0.level == .warning && $0.message == "eth2 (eni-bp1third) is enslaved to br0 (bridge): left alone, neither configured nor cleaned up" })
        // Detached from metadata, still left alone.
        network.enis.removeLast()
        #expect(!cycle.run(network).lines.contains { $0.contains("eth2") || $0.contains("10004") })
    }

    @Test func aFailoverMasterIsTheENIAndItsEnslavedLegsAreNot() {
        var kernel = Lab.kernel
        kernel.links.append(Link(index: 30, name: "eth2nsby", mac: mac("00:16:3e:00:00:03"), isUp: true, master: 4))
        kernel.links.append(Link(index: 31, name: "enp0s9", mac: mac("00:16:3e:00:00:03"), isUp: true, master: 4))
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: PlanConfig())
        #expect(plan.lines.contains("address add 192.168.1.222/24 dev eth2 noprefixroute proto 233"))
        #expect(!plan.lines.contains { $0.contains("eth2nsby") || $0.contains("enp0s9") })
    }

    @Test func twoLinksThatBothCouldBeTheENIAreBothLeftAlone() {
        var kernel = Lab.kernel
        kernel.links.append(Link(index: 6, name: "eth9", mac: mac("00:16:3e:00:00:03"), isUp: true))
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("eth2") || $0.contains("eth9") || $0.contains("10004") })
        #expect(plan.notes.contains { $0.level == .warning && $0.message.contains("is the MAC of eth2 and eth9") })
    }

    @Test func theResolutionIsPublicForStatus() {
        var kernel = Lab.kernel
        kernel.links.insert(Link(index: 20, name: "eth1.100", mac: mac("00:16:3e:00:00:02"), isUp: true, kind: "vlan"), at: 0)
        let links = ENILinks(kernel: kernel)
        #expect(links.link(for: mac("00:16:3e:00:00:02"))?.name == "eth1")
        #expect(links.resolve(mac("00:16:3e:00:00:09")) == .absent)
    }
}
