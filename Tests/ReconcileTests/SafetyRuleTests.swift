// SPDX-License-Identifier: Apache-2.0
import Testing
import Model
@testable import Reconcile

@Suite("Planner: safety rules (docs/design.md §4)")
struct SafetyRuleTests {
    @Test func anAddressSomebodyElseAddedIsLeftAloneAndNeverClaimed() {
        var kernel = Lab.kernel
        kernel.addresses.append(Address(ifindex: 3, ifname: "eth1", prefix: prefix("192.168.1.212/24")))
        var cycle = Cycle(kernel: kernel, config: PlanConfig(removalGrace: 1))
        let first = cycle.run(Lab.network)
        #expect(!first.lines.contains { $0.hasPrefix("address add 192.168.1.212") })
        #expect(first.lines.contains("rule add from 192.168.1.212 lookup 20003 priority 20003 proto 233"))
        #expect(!cycle.ownership.addresses.contains { $0.address == .v4(v4("192.168.1.212")) })

        var network = Lab.network
        network.enis[1].privateIPv4s.removeAll { $0 == v4("192.168.1.212") }
        let later = cycle.run(network)
        #expect(!later.lines.contains { $0.hasPrefix("address del 192.168.1.212") })
        #expect(later.lines.contains("rule del from 192.168.1.212 lookup 20003 priority 20003 proto 233"))
    }

    @Test func anAddressGoneFromMetadataIsRemovedOnlyAfterTheGrace() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 3))
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis[2].privateIPv4s.removeAll { $0 == v4("192.168.1.222") }
        #expect(cycle.run(network).isEmpty)
        #expect(cycle.run(network).isEmpty)
        let third = cycle.run(network)
        #expect(third.lines == [
            "rule del from 192.168.1.222 lookup 10004 priority 10004 proto 233",
            "rule del from 192.168.1.222 lookup 20004 priority 20004 proto 233",
            "address del 192.168.1.222/24 dev eth2 noprefixroute proto 233",
        ])
        #expect(cycle.run(network).isEmpty)
        #expect(!cycle.ownership.addresses.contains { $0.address == .v4(v4("192.168.1.222")) })
        #expect(cycle.ownership.pendingRemovals.isEmpty)
    }

    @Test func anAddressThatComesBackDuringTheGraceStartsTheCountAgain() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 2))
        cycle.run(Lab.network)
        var flapped = Lab.network
        flapped.enis[1].privateIPv4s.removeAll { $0 == v4("192.168.1.213") }
        #expect(cycle.run(flapped).isEmpty)
        #expect(cycle.run(Lab.network).isEmpty)
        #expect(cycle.run(flapped).isEmpty)
        #expect(cycle.run(flapped).removals.count == 3)
    }

    /// Issue 16: one ENI's problem held removals on every ENI.
    @Test func anIncompleteENIHoldsBackItsOwnRemovalsOnlyAndNotCertainAdditions() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis[1].privateIPv4s = [v4("192.168.1.211"), v4("192.168.1.214")]
        network.enis[2].privateIPv4s = [v4("192.168.1.221")]
        network.enis[2].completeness = .incomplete(reason: "private-ipv4s: HTTP 500")
        let plan = cycle.run(network)
        #expect(plan.lines.contains("address add 192.168.1.214/24 dev eth1 noprefixroute proto 233"))
        #expect(plan.lines.contains("address del 192.168.1.212/24 dev eth1 noprefixroute proto 233"), "eth1's read is complete")
        #expect(!plan.lines.contains { $0.contains("192.168.1.222") }, "eth2's read is not")
        #expect(!plan.removalsAllowed)
        #expect(plan.notes.contains { $0.level == .warning && $0.message.contains("on eni-bp1third held back") })
    }

    @Test func aRejectedValueOnOneENIHoldsItsRemovalsButNoOtherENIs() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis[0].privateIPv4s = [v4("192.168.1.201")]                      // .202 unassigned from the primary ENI
        network.enis[1].privateIPv4s = [v4("192.168.1.211"), v4("10.0.0.5")]     // an out-of-subnet entry on eth1
        let plan = cycle.run(network)
        #expect(plan.lines.contains("address del 192.168.1.202/24 dev eth0 proto 233"))
        #expect(!plan.lines.contains { $0.contains("192.168.1.212") || $0.contains("192.168.1.213") })
    }

    @Test func aFailedReadRemovesNothingAndAddsNothing() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        let plan = cycle.run(nil)
        #expect(plan.ops.isEmpty)
        #expect(!plan.removalsAllowed)
    }

    @Test func aCachedReadMarkedIncompleteRestoresButNeverRemoves() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        cycle.kernel.state.addresses.removeAll { $0.address == .v4(v4("192.168.1.212")) }
        var shrunk = Lab.network
        shrunk.enis[2].privateIPv4s = [v4("192.168.1.221")]
        let plan = cycle.run(shrunk.markedIncomplete(reason: "cached"))
        #expect(plan.lines == ["address add 192.168.1.212/24 dev eth1 noprefixroute proto 233"])
    }

    @Test func aPartialAnswerWithoutThePrimaryENIRemovesNothing() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis.removeFirst()
        let plan = cycle.run(network)
        #expect(plan.removals.isEmpty)
        #expect(!plan.removalsAllowed)
    }

    @Test func anAddressOutsideTheVSwitchIsRejectedAndHoldsRemovals() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis[1].privateIPv4s = [v4("192.168.1.211"), v4("10.0.0.5")]
        let plan = cycle.run(network)
        #expect(!plan.lines.contains { $0.contains("10.0.0.5") })
        #expect(plan.removals.isEmpty)
        #expect(plan.notes.contains { $0.level == .warning && $0.message.contains("10.0.0.5") && $0.message.contains("outside vSwitch 192.168.1.0/24") })
    }

    @Test func theNetworkAndBroadcastAddressesOfTheVSwitchAreRejected() {
        var network = Lab.network
        network.enis[1].privateIPv4s += [v4("192.168.1.0"), v4("192.168.1.255")]
        let plan = Reconcile.plan(desired: network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("192.168.1.0/24 dev eth1 noprefixroute") || $0.contains("192.168.1.255") })
        #expect(plan.notes.filter { $0.level == .warning }.count == 2)
    }

    @Test func anENIWhoseMACLeftMetadataLosesItsObjectsAfterTheGrace() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 2))
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis.removeLast()
        #expect(cycle.run(network).isEmpty)
        let plan = cycle.run(network)
        #expect(plan.lines.filter { $0.contains("del") }.count == plan.ops.count)
        #expect(plan.lines.contains("route del default via 192.168.1.253 dev eth2 onlink table 20004 proto 233"))
        #expect(plan.lines.contains("address del 192.168.1.222/24 dev eth2 noprefixroute proto 233"))
        #expect(!plan.lines.contains { $0.contains("19999") })
        #expect(cycle.run(network).isEmpty)
        #expect(cycle.kernel.state.rules.filter { $0.proto == 233 }.count == 12)
    }

    @Test func aVanishedLinksDanglingRulesAreRemovedAndItsRecordsForgotten() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        cycle.kernel.removeLink(index: 4)
        var network = Lab.network
        network.enis.removeLast()
        let plan = cycle.run(network)
        #expect(plan.ops.allSatisfy { if case .removeRule = $0.op { true } else { false } })
        #expect(plan.ops.count == 6)
        #expect(plan.ops.allSatisfy { $0.reason.contains("gone") })
        #expect(!cycle.ownership.addresses.contains { $0.ifindex == 4 })
    }

    /// A gone link's rules belong to no ENI of the read: another ENI's partial read does not
    /// hold them; a failed read (no metadata at all) does.
    @Test func aVanishedLinksDanglingRulesSkipTheGraceAndWaitOnlyForAReadOfTheListing() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 2))
        cycle.run(Lab.network)
        cycle.kernel.removeLink(index: 4)
        #expect(cycle.run(nil).ops.isEmpty)
        var partial = Lab.network
        partial.enis[1].completeness = .incomplete(reason: "private-ipv4s: 404")
        let plan = cycle.run(partial)
        #expect(plan.ops.count == 6)
        #expect(plan.ops.allSatisfy { if case .removeRule = $0.op { $0.reason.contains("gone") } else { false } })
    }

    @Test func theSuppressRuleGoesWhenNoSecondaryENIIsLeft() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis = [network.enis[0]]
        let plan = cycle.run(network)
        #expect(plan.lines.contains("rule del from all lookup main suppress_prefixlength 0 priority 19999 proto 233"))
        #expect(plan.lines.contains("-6 rule del from all lookup main suppress_prefixlength 0 priority 19999 proto 233"))
        #expect(!plan.lines.contains { $0.contains("eth0") })
    }

    @Test func aRecordedAddressOnALinkRecreatedWithAnotherMACIsNotOurs() {
        var kernel = Lab.kernel
        kernel.addresses.append(Address(ifindex: 5, ifname: "docker0", prefix: prefix("172.17.0.9/16")))
        let owned = Ownership(addresses: [OwnedAddress(mac: mac("00:16:3e:00:00:09"), ifindex: 5, prefix: prefix("172.17.0.9/16"))])
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: owned, config: PlanConfig(removalGrace: 1))
        #expect(!plan.lines.contains { $0.contains("172.17") })
        #expect(plan.ownership.addresses.isEmpty)
    }

    @Test func anAddThatFoundTheAddressAlreadyThereClaimsNothing() {
        let address = Address(ifindex: 3, ifname: "eth1", prefix: prefix("192.168.1.212/24"), proto: 233)
        let results = [OpResult(op: .addAddress(address), outcome: .alreadyInPlace)]
        #expect(Ownership().recording(results, macs: [3: mac("00:16:3e:00:00:02")]).addresses.isEmpty)
        let applied = [OpResult(op: .addAddress(address), outcome: .applied)]
        #expect(Ownership().recording(applied, macs: [3: mac("00:16:3e:00:00:02")]).addresses.count == 1)
    }
}
