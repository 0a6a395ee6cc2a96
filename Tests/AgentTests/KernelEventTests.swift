// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Model
import Netlink
import Reconcile
import Testing

/// Issue 15, the loop's side of kernel events: which events wake it, for what (a metadata read,
/// a re-plan, nothing), and how soon. The events go through the daemon's triage
/// (`WakeReason.init(_:)`, via `LoopHarness.event`), the loop and the engine are the real ones.
@Suite struct KernelEventTests {
    static let quiet = DaemonLoopTests.quiet

    /// A container runtime's veth: a random locally administered MAC.
    static func veth(_ n: Int, master: Int32? = nil) -> Link {
        Link(index: Int32(100 + n), name: "veth\(n)", mac: MACAddress(bytes: [0x02, 0x42, 0xac, 0x11, 0, UInt8(n)])!, isUp: true,
             kind: "veth", master: master)
    }

    static func owned(_ text: String, in kernel: KernelState) -> Address? {
        kernel.addresses.first { $0.prefix.description == text }
    }

    /// Deletes an owned address from the fake kernel and says so, as `ip addr del` would: a
    /// re-plan that puts it back is how the tests see that the loop took what came before.
    static func deleteAndWaitForRestore(_ text: String, _ loop: LoopHarness, after more: [NetlinkEvent] = []) async -> Bool {
        guard let address = owned(text, in: loop.kernel.current) else { return false }
        loop.kernel.change { $0.addresses.removeAll { $0.prefix.description == text } }
        loop.event(contentsOf: more + [.addressRemoved(address)])
        return await eventually { owned(text, in: loop.kernel.current) != nil }
    }

    /// A per-ENI route deleted (`ip route flush table 20003`) comes back from the cached read,
    /// without a metadata read and without waiting for a poll (an hour away here).
    @Test func aRouteFlushedFromAnENITableIsRestoredWithoutARead() async throws {
        try await LoopHarness.with(config: Self.quiet) { loop in
            #expect(await eventually { loop.cycles == 1 })
            let table = RoutingScheme.standard.defaultTable(slot: 3)
            let routes = loop.kernel.current.routes.filter { $0.table == table }
            try #require(!routes.isEmpty, "\(loop.kernel.current.routes)")
            loop.kernel.change { $0.routes.removeAll { $0.table == table } }
            loop.event(contentsOf: routes.map { .routeRemoved($0) })
            #expect(await eventually { Set(loop.kernel.current.routes.filter { $0.table == table }.map(\.key)) == Set(routes.map(\.key)) },
                    "\(loop.log.all)")
            #expect(loop.metadata.reads == 1)
        }
    }

    /// The first event of a burst is answered at once: with a debounce of an hour, a deleted
    /// address still comes back (a debounce that waited first would hold it for the hour).
    @Test func theFirstEventIsAnsweredWithoutWaitingForTheDebounce() async throws {
        try await LoopHarness.with(config: Self.quiet, timing: LoopTiming(debounce: .seconds(3600))) { loop in
            #expect(await eventually { loop.cycles == 1 })
            #expect(await Self.deleteAndWaitForRestore("10.0.0.12/24", loop), "\(loop.log.all)")
            #expect(loop.metadata.reads == 1)
        }
    }

    /// A NIC that appears with a MAC of its own and takes an ENI's MAC later (metadata listing
    /// it later still) is looked at again on the MAC change, then looked for until metadata
    /// lists it, and configured.
    @Test func aLinkThatTakesAnENIsMACLaterIsConfigured() async throws {
        var kernel = Sample.kernel()
        var eth3 = Link(index: 5, name: "eth3", mac: MACAddress("02:00:00:00:00:99"), isUp: false)
        kernel.links.append(eth3)
        let metadata = ScriptedMetadata(.network(Sample.network()))
        try await LoopHarness.with(kernel: kernel, metadata: metadata, config: Self.quiet,
                                   timing: LoopTiming(hotplugRetry: .milliseconds(20))) { loop in
            #expect(await eventually { loop.cycles == 1 })
            #expect(loop.log.lines(.info, containing: "waiting for metadata").isEmpty, "a locally administered MAC is no NIC's")
            eth3.mac = Sample.mac(3)
            loop.kernel.change { $0.links[$0.links.count - 1] = eth3 }
            loop.event(.linkChanged(eth3, changes: .mac))
            #expect(await eventually { metadata.reads >= 2 }, "a new MAC is worth a metadata read: \(loop.log.all)")
            #expect(await eventually { !loop.log.lines(.info, containing: "waiting for metadata to list eth3").isEmpty })
            metadata.script(.network(Sample.network(enis: 4)))
            #expect(await eventually { loop.kernel.current.addresses.contains { $0.ifname == "eth3" } }, "\(loop.log.all)")
        }
    }

    /// A container runtime's veths come, join a bridge and go: no metadata read (a re-plan marks
    /// each round, so the loop has taken every event before it).
    @Test func vethChurnReadsNoMetadata() async throws {
        try await LoopHarness.with(config: Self.quiet) { loop in
            #expect(await eventually { loop.cycles == 1 })
            for n in 1...5 {
                let cycles = loop.cycles
                let churn: [NetlinkEvent] = [
                    .linkAdded(Self.veth(n)), .linkChanged(Self.veth(n, master: 50), changes: .master),
                    .linkChanged(Self.veth(n, master: 50), changes: [.up, .carrier]), .linkRemoved(Self.veth(n, master: 50)),
                    .addressRemoved(Address(ifindex: Int32(100 + n), ifname: "veth\(n)", prefix: IPPrefix("fe80::42:acff:fe11:\(n)/64")!, proto: 2)),
                ]
                #expect(await Self.deleteAndWaitForRestore("10.0.0.12/24", loop, after: churn), "\(loop.log.all)")
                #expect(await eventually { loop.cycles > cycles })
            }
            #expect(loop.metadata.reads == 1, "\(loop.metadata.reads) reads")
        }
    }

    /// Link events that do concern an ENI (a NIC renamed again and again) read the metadata, but
    /// no more often than the allowance: here two, then one an hour.
    @Test func linkEventsReadNoMoreThanTheAllowance() async throws {
        let timing = LoopTiming(eventReadBurst: 2, eventReadInterval: .seconds(3600))
        try await LoopHarness.with(config: Self.quiet, timing: timing) { loop in
            #expect(await eventually { loop.cycles == 1 })
            for n in 1...6 {
                let eth2 = Link(index: 4, name: "eth2-\(n)", mac: Sample.mac(2), isUp: false)
                #expect(await Self.deleteAndWaitForRestore("10.0.0.12/24", loop, after: [.linkChanged(eth2, changes: .name)]),
                        "\(loop.log.all)")
                if n == 1 { #expect(await eventually { loop.metadata.reads == 2 }, "the first rename is read at once") }
            }
            #expect(loop.metadata.reads == 2, "\(loop.metadata.reads) reads: the initial one and one of the allowance's two")
        }
    }

    /// The triage itself, case by case.
    @Test(arguments: [
        (NetlinkEvent.linkAdded(Link(index: 9, name: "eth9", mac: Sample.mac(9), isUp: false)), WakeReason?.some(.linkEvent)),
        (.linkAdded(veth(1)), nil),
        (.linkAdded(Link(index: 9, name: "br0", mac: Sample.mac(9), isUp: true, kind: "bridge")), nil),
        (.linkAdded(Link(index: 9, name: "eth1.10", mac: Sample.mac(1), isUp: true, kind: "vlan")), nil),
        (.linkAdded(Link(index: 9, name: "tun0", mac: nil, isUp: true, kind: "ipip")), nil),
        (.linkRemoved(Link(index: 3, name: "eth1", mac: Sample.mac(1), isUp: true)), .linkEvent),
        (.linkRemoved(veth(1)), nil),
        (.linkChanged(Link(index: 3, name: "ens5", mac: Sample.mac(1), isUp: true), changes: .name), .linkEvent),
        // Enslaved to a bond: it was an ENI a moment ago.
        (.linkChanged(Link(index: 3, name: "eth1", mac: Sample.mac(1), isUp: true, master: 7), changes: .master), .linkEvent),
        (.linkChanged(veth(1, master: 50), changes: .master), nil),
        (.linkChanged(Link(index: 3, name: "eth1", mac: Sample.mac(1), isUp: false), changes: .up), .kernelEvent),
        (.linkChanged(veth(1), changes: .up), nil),
        (.overflow, .linkEvent),
        (.addressRemoved(Address(ifindex: 3, ifname: "eth1", prefix: IPPrefix("10.0.0.12/24")!, proto: eniAgentProtocol)), .kernelEvent),
        (.addressRemoved(Address(ifindex: 3, ifname: "eth1", prefix: IPPrefix("10.0.0.12/24")!)), .kernelEvent),
        (.addressRemoved(Address(ifindex: 101, ifname: "veth1", prefix: IPPrefix("fe80::1/64")!, proto: 2)), nil),
        (.routeRemoved(Route(table: 20003, destination: .defaultRoute(.v4), gateway: .v4(Sample.gateway), ifindex: 3)), .kernelEvent),
        (.routeRemoved(Route(table: RouteTable.main, destination: IPPrefix("172.17.0.0/16")!, ifindex: 50, proto: 2)), nil),
        (.ruleRemoved(Rule(family: .v4, priority: 20003, table: 20003)), .kernelEvent),
        (.ruleRemoved(Rule(family: .v4, priority: 100, table: 100, proto: 4)), nil),
        (.routeAdded(Route(table: 20003, destination: .defaultRoute(.v4), gateway: .v4(Sample.gateway), ifindex: 3)), nil),
    ])
    func triage(_ event: NetlinkEvent, _ expected: WakeReason?) {
        #expect(WakeReason(event) == expected, "\(event)")
    }
}
