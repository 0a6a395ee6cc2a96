// SPDX-License-Identifier: Apache-2.0
import Testing
import Model
@testable import Reconcile

@Suite("Planner: what the kernel should look like (docs/design.md §3)")
struct PlannerExampleTests {
    @Test func firstSyncOfTheLabConfiguresEveryENIAsSectionThreeDescribes() {
        let plan = Reconcile.plan(desired: Lab.network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig())
        let gw6 = "2408:4005:3a4:ab00:ffff:ffff:ffff:fffd"
        #expect(plan.lines == [
            "link set dev eth1 up",
            "address add 192.168.1.202/24 dev eth0 proto 233",
            "-6 address add 2408:4005:3a4:ab00::201/64 dev eth0 nodad proto 233",
            "address add 192.168.1.211/24 dev eth1 noprefixroute proto 233",
            "address add 192.168.1.212/24 dev eth1 noprefixroute proto 233",
            "address add 192.168.1.213/24 dev eth1 noprefixroute proto 233",
            "-6 address add 2408:4005:3a4:ab00::211/64 dev eth1 nodad noprefixroute proto 233",
            "-6 address add 2408:4005:3a4:ab00::212/64 dev eth1 nodad noprefixroute proto 233",
            "address add 192.168.1.221/24 dev eth2 noprefixroute proto 233",
            "address add 192.168.1.222/24 dev eth2 noprefixroute proto 233",
            "-6 address add 2408:4005:3a4:ab00::221/64 dev eth2 nodad noprefixroute proto 233",
            "-6 route add default via \(gw6) dev eth0 onlink table main proto 233",
            "route add 192.168.1.0/24 dev eth1 scope link src 192.168.1.211 table 10003 proto 233",
            "route add default via 192.168.1.253 dev eth1 onlink table 20003 proto 233",
            "-6 route add 2408:4005:3a4:ab00::/64 dev eth1 src 2408:4005:3a4:ab00::211 table 10003 proto 233",
            "-6 route add 2408:4005:3a4:ab00::/64 dev eth1 table 20003 proto 233",
            "-6 route add default via \(gw6) dev eth1 table 20003 proto 233",
            "route add 192.168.1.0/24 dev eth2 scope link src 192.168.1.221 table 10004 proto 233",
            "route add default via 192.168.1.253 dev eth2 onlink table 20004 proto 233",
            "-6 route add 2408:4005:3a4:ab00::/64 dev eth2 src 2408:4005:3a4:ab00::221 table 10004 proto 233",
            "-6 route add 2408:4005:3a4:ab00::/64 dev eth2 table 20004 proto 233",
            "-6 route add default via \(gw6) dev eth2 table 20004 proto 233",
            "rule add from 192.168.1.211 lookup 10003 priority 10003 proto 233",
            "rule add from 192.168.1.212 lookup 10003 priority 10003 proto 233",
            "rule add from 192.168.1.213 lookup 10003 priority 10003 proto 233",
            "-6 rule add from 2408:4005:3a4:ab00::211 lookup 10003 priority 10003 proto 233",
            "-6 rule add from 2408:4005:3a4:ab00::212 lookup 10003 priority 10003 proto 233",
            "rule add from 192.168.1.221 lookup 10004 priority 10004 proto 233",
            "rule add from 192.168.1.222 lookup 10004 priority 10004 proto 233",
            "-6 rule add from 2408:4005:3a4:ab00::221 lookup 10004 priority 10004 proto 233",
            "rule add from all lookup main suppress_prefixlength 0 priority 19999 proto 233",
            "-6 rule add from all lookup main suppress_prefixlength 0 priority 19999 proto 233",
            "rule add from 192.168.1.211 lookup 20003 priority 20003 proto 233",
            "rule add from 192.168.1.212 lookup 20003 priority 20003 proto 233",
            "rule add from 192.168.1.213 lookup 20003 priority 20003 proto 233",
            "-6 rule add from 2408:4005:3a4:ab00::211 lookup 20003 priority 20003 proto 233",
            "-6 rule add from 2408:4005:3a4:ab00::212 lookup 20003 priority 20003 proto 233",
            "rule add from 192.168.1.221 lookup 20004 priority 20004 proto 233",
            "rule add from 192.168.1.222 lookup 20004 priority 20004 proto 233",
            "-6 rule add from 2408:4005:3a4:ab00::221 lookup 20004 priority 20004 proto 233",
        ])
        #expect(plan.removalsAllowed)
        #expect(plan.managed.map(\.eni.ifname) == ["eth0", "eth1", "eth2"])
        #expect(plan.managed.map(\.defaultTable) == [nil, 20003, 20004])
    }

    @Test(arguments: [true, false])
    func aSecondSyncAfterConvergingPlansNothing(marksAddresses: Bool) {
        var cycle = Cycle(kernel: Lab.kernel, marksAddresses: marksAddresses)
        #expect(!cycle.run(Lab.network).isEmpty)
        let second = cycle.run(Lab.network)
        #expect(second.lines == [])
        // Where the kernel keeps the mark, it decides and no record is kept; elsewhere the
        // record of every address added is the ownership.
        #expect(cycle.ownership.addresses.count == (marksAddresses ? 0 : 10))
    }

    @Test func thePrimaryENIsPrimaryAddressIsNeitherAddedNorRemoved() {
        var kernel = Lab.kernel
        kernel.addresses.removeAll { $0.ifname == "eth0" }  // DHCP has not run yet
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("192.168.1.201") })

        // Even marked as ours and gone from metadata, it stays.
        kernel.addresses.append(Address(ifindex: 2, ifname: "eth0", prefix: prefix("192.168.1.201/24"), proto: 233))
        var network = Lab.network
        network.enis[0].privateIPv4s = [v4("192.168.1.201")]
        let owned = Ownership(addresses: [OwnedAddress(mac: mac("00:16:3e:00:00:01"), ifindex: 2, prefix: prefix("192.168.1.201/24"))])
        let later = Reconcile.plan(desired: network, actual: kernel, owned: owned, config: PlanConfig(removalGrace: 1))
        #expect(!later.removals.contains { $0.description.contains("192.168.1.201") })
    }

    @Test func theSecondaryAddressesOfThePrimaryENIGoToTheMainTableWithoutRules() {
        let plan = Reconcile.plan(desired: Lab.network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig())
        let eth0 = plan.lines.filter { $0.contains("dev eth0") || $0.contains("192.168.1.202") }
        #expect(eth0 == [
            "address add 192.168.1.202/24 dev eth0 proto 233",
            "-6 address add 2408:4005:3a4:ab00::201/64 dev eth0 nodad proto 233",
            "-6 route add default via 2408:4005:3a4:ab00:ffff:ffff:ffff:fffd dev eth0 onlink table main proto 233",
        ])
    }

    @Test func anIPv6DefaultRouteInMainThatIsNotOursIsLeftAndNoneIsAdded() {
        var kernel = Lab.kernel
        kernel.routes.append(Route(table: RouteTable.main, destination: .defaultRoute(.v6), gateway: .v6(v6("fe80::1")),
                                   ifindex: 2, ifname: "eth0", proto: 9, metric: 1024))
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("table main") && $0.contains("route") })
    }

    @Test func withIPv6DisabledNothingIPv6IsPlanned() {
        let plan = Reconcile.plan(desired: Lab.network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig(ipv6: false))
        #expect(plan.ops.allSatisfy { $0.op.family != .v6 })
        #expect(plan.lines.contains("rule add from all lookup main suppress_prefixlength 0 priority 19999 proto 233"))
    }

    @Test func customTableBasesMoveEveryTableAndPriority() throws {
        let scheme = try RoutingScheme(subnetBase: 1000, suppressPriority: 1999, defaultBase: 2000)
        let plan = Reconcile.plan(desired: Lab.network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig(scheme: scheme, ipv6: false))
        #expect(plan.lines.contains("route add default via 192.168.1.253 dev eth1 onlink table 2003 proto 233"))
        #expect(plan.lines.contains("rule add from 192.168.1.212 lookup 1003 priority 1003 proto 233"))
        #expect(plan.lines.contains("rule add from all lookup main suppress_prefixlength 0 priority 1999 proto 233"))
    }

    @Test func anUpLinkIsNotBroughtUpAgainAndBringUpCanBeTurnedOff() {
        let plan = Reconcile.plan(desired: Lab.network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig(bringUpLinks: false))
        #expect(!plan.lines.contains { $0.hasPrefix("link") })
    }

    @Test func withBringUpOffADownLinkGetsAddressesAndRulesButNoRoutesTheKernelWouldRefuse() {
        let plan = Reconcile.plan(desired: Lab.network, actual: Lab.kernel, owned: Ownership(), config: PlanConfig(bringUpLinks: false))
        #expect(!plan.lines.contains { ($0.hasPrefix("route") || $0.hasPrefix("-6 route")) && $0.contains("dev eth1") })
        #expect(plan.lines.contains("address add 192.168.1.212/24 dev eth1 noprefixroute proto 233"))
        #expect(plan.lines.contains("rule add from 192.168.1.212 lookup 20003 priority 20003 proto 233"))
        #expect(plan.lines.contains("route add default via 192.168.1.253 dev eth2 onlink table 20004 proto 233"), "eth2 is up")
        #expect(plan.notes.contains { $0.message.contains("eth1") && $0.message.contains("routes wait") })
    }

    @Test func anENIWhoseLinkIsNotThereYetIsNotedAndSkipped() {
        var kernel = Lab.kernel
        kernel.links.removeAll { $0.name == "eth2" }
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("eth2") || $0.contains("192.168.1.22") })
        #expect(plan.notes.contains { $0.message.contains("eni-bp1third") && $0.message.contains("no link") })
    }

    @Test func ignoredInterfacesByGlobOrMACAreNeverTouched() {
        var kernel = Lab.kernel
        kernel.addresses.append(Address(ifindex: 4, ifname: "eth2", prefix: prefix("192.168.1.230/24"), proto: 233))
        for patterns in [["eth[2-9]"], ["00:16:3E:00:00:03"], ["e*2"]] {
            let config = PlanConfig(removalGrace: 1, ignored: InterfaceMatcher(patterns))
            let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: config)
            #expect(!plan.lines.contains { $0.contains("eth2") || $0.contains("10004") }, "\(patterns)")
            #expect(plan.lines.contains { $0.contains("eth1") }, "\(patterns)")
        }
    }

    @Test func aLinkIndexBeyondTheSchemeIsReportedNotManaged() {
        var kernel = Lab.kernel
        kernel.links[3].index = 12000
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("eth2") })
        #expect(plan.notes.contains { $0.level == .warning && $0.message.contains("12000") })
    }

    @Test func aChangedGatewayReplacesTheOwnedDefaultRouteInPlace() {
        var cycle = Cycle(kernel: Lab.kernel)
        cycle.run(Lab.network)
        var network = Lab.network
        network.enis[1].gateway = v4("192.168.1.254")
        let plan = cycle.run(network)
        #expect(plan.lines == ["route replace default via 192.168.1.254 dev eth1 onlink table 20003 proto 233"])
        #expect(cycle.run(network).isEmpty)
    }

    @Test func aForeignRouteOnOurKeyIsReportedAndLeftAlone() {
        var kernel = Lab.kernel
        kernel.routes.append(Route(table: 20003, destination: .defaultRoute(.v4), gateway: .v4(v4("192.168.1.1")),
                                   ifindex: 3, ifname: "eth1", proto: 4))
        let plan = Reconcile.plan(desired: Lab.network, actual: kernel, owned: Ownership(), config: PlanConfig())
        #expect(!plan.lines.contains { $0.contains("route") && $0.contains("table 20003") && !$0.hasPrefix("-6") })
        #expect(plan.notes.contains { $0.level == .warning && $0.message.contains("not ours") })
    }
}
