// SPDX-License-Identifier: Apache-2.0
import Model
@testable import Reconcile

/// A random but plausible instance, built from one seed so that a failure names a reproducible
/// case. What an earlier run of the agent left (from other metadata, maybe with links ignored
/// now), then the world moved on:
/// - up to four ENI links, some down, one maybe missing, with promote_secondaries on, off or not
///   reported; maybe a VLAN carrying an ENI's MAC, or an ENI enslaved to a bridge;
/// - a kernel that keeps address marks (Linux 6.1+) or not, so that ownership rests on the state
///   record alone;
/// - links that vanished, or came back under a new index, or went down (their routes flushed);
/// - DHCP's address on the primary ENI, which metadata also lists (as the primary's, and maybe
///   on another ENI); foreign addresses, kernel secondaries of ours or primaries of our subnet;
/// - metadata with addresses moved between ENIs or listed on two, values out of the vSwitch,
///   unusable addresses, a gateway that is a local address, a link-local IPv6 gateway,
///   incomplete ENIs, ENIs gone;
/// - delegated prefixes of both families, some outside the vSwitch or holding its network
///   address, some listed on two ENIs, unassigned since; every prefix mode, maybe another one
///   earlier.
struct Scenario: CustomStringConvertible {
    var seed: UInt64
    var network: InstanceNetwork
    var kernel: KernelState
    var ownership: Ownership
    var config: PlanConfig
    var marksAddresses: Bool

    var description: String { "Scenario(seed: \(seed))" }

    /// A sync cycle starting from this scenario's kernel and ownership.
    func cycle(grace: Int? = nil) -> Cycle {
        var config = self.config
        if let grace { config.removalGrace = grace }
        var cycle = Cycle(kernel: kernel, config: config, marksAddresses: marksAddresses)
        cycle.ownership = ownership
        return cycle
    }

    static let macs = (1...5).map { MACAddress(bytes: [0x00, 0x16, 0x3e, 0x00, 0x00, UInt8($0)])! }

    init(seed: UInt64, complete: Bool = true) {
        self.seed = seed
        var rng = SplitMix(seed)
        let macs = Self.macs
        var links = [Link(index: 1, name: "lo", mac: nil, isUp: true),
                     Link(index: 9, name: "docker0", mac: MACAddress("02:42:ac:11:00:01"), isUp: true, kind: "bridge")]
        for (i, mac) in macs.enumerated().dropLast() where i == 0 || rng.chance(0.85) {
            let promotes: Bool? = [true, false, nil][rng.int(0...2)]
            links.append(Link(index: Int32(2 + i), name: "eth\(i)", mac: mac, isUp: i == 0 || rng.chance(0.6),
                              promotesSecondaries: promotes))
        }
        let subnet = IPPrefix("192.168.1.0/24")!
        func host() -> IPv4Address { IPv4Address(192, 168, 1, UInt8(rng.int(1...40))) }
        func host6() -> IPv6Address { IPv6Address(high: 0x2408_4005_03a4_ab00, low: UInt64(rng.int(1...40))) }
        let dhcp = host()
        func randomENI(_ mac: MACAddress, id: Int, complete: Bool) -> ENI {
            let primary = mac == macs[0] ? dhcp : host()
            var others = (0..<rng.int(0...4)).map { _ in host() }
            if rng.chance(0.1) { others.append(IPv4Address(10, 0, 0, 5)) }  // outside the vSwitch
            if rng.chance(0.05) { others.append(IPv4Address(127, 0, 0, 1)) }
            if mac != macs[0] && rng.chance(0.1) { others.append(dhcp) }  // the primary's DHCP address, listed elsewhere
            let v6s = (0..<rng.int(0...2)).map { _ in host6() }
            // A gateway that is a local address, and stays one: the ENI's own or DHCP's.
            let gateway = rng.chance(0.05) ? (rng.chance(0.5) ? primary : dhcp) : IPv4Address(192, 168, 1, 253)
            let gateway6 = rng.chance(0.2) ? IPv6Address("fe80::1")! : IPv6Address("2408:4005:3a4:ab00:ffff:ffff:ffff:fffd")!
            // Prefixes from a small pool, so that ENIs share some; two are never valid.
            let pool4 = ["192.168.1.48/28", "192.168.1.64/28", "192.168.1.80/28", "10.0.0.0/28", "192.168.1.0/28"]
            let pool6 = ["2408:4005:3a4:ab00:1::/80", "2408:4005:3a4:ab00:2::/80", "2408:4005:3a4:ac00:1::/80"]
            let prefixes4 = (0..<rng.int(0...2)).map { _ in IPPrefix(pool4[rng.int(0...4)])! }
            let prefixes6 = (0..<rng.int(0...2)).map { _ in IPPrefix(pool6[rng.int(0...2)])! }
            return ENI(mac: mac, id: "eni-\(id)", primaryIPv4: primary, privateIPv4s: [primary] + others,
                       ipv4Subnet: rng.chance(0.95) ? subnet : nil, gateway: rng.chance(0.9) ? gateway : nil,
                       ipv6s: v6s, ipv6Gateway: rng.chance(0.8) ? gateway6 : nil,
                       ipv6Subnet: rng.chance(0.7) ? IPPrefix("2408:4005:3a4:ab00::/64") : nil,
                       ipv4Prefixes: prefixes4, ipv6Prefixes: prefixes6,
                       completeness: complete || rng.chance(0.5) ? .complete : .incomplete(reason: "HTTP 500"))
        }
        func randomNetwork(complete: Bool) -> InstanceNetwork {
            var enis: [ENI] = []
            for (i, mac) in macs.enumerated() where i == 0 || rng.chance(0.7) {
                enis.append(randomENI(mac, id: i, complete: complete))
            }
            return InstanceNetwork(primaryMAC: macs[0], enis: enis)
        }
        marksAddresses = rng.chance(0.5)
        config = PlanConfig(ipv6: rng.chance(0.8), bringUpLinks: rng.chance(0.8), removalGrace: 1,
                            ignored: InterfaceMatcher(rng.chance(0.2) ? ["eth3"] : []),
                            prefixes: PrefixMode.allCases[rng.int(0...3)])
        var earlierConfig = config
        earlierConfig.ignored = InterfaceMatcher()
        if rng.chance(0.3) { earlierConfig.prefixes = PrefixMode.allCases[rng.int(0...3)] }

        // DHCP first, so that its address is the primary of the subnet on eth0.
        var model = KernelModel(state: KernelState(links: links), marksAddresses: marksAddresses)
        model.addForeign(Address(ifindex: 2, ifname: "eth0", prefix: IPPrefix(address: .v4(dhcp), length: 24)!))
        let earlier = Reconcile.plan(desired: randomNetwork(complete: true), actual: model.state, owned: Ownership(), config: earlierConfig)
        let results = model.apply(earlier.ops.map(\.op))
        ownership = earlier.ownership.recording(results, macs: model.macs)

        // The world since.
        for link in links where link.mac != nil && link.index != 9 && rng.chance(0.3) {
            model.addForeign(Address(ifindex: link.index, ifname: link.name, prefix: IPPrefix(address: .v4(host()), length: 24)!))
        }
        if rng.chance(0.3) {
            model.state.routes.append(Route(table: 20003, destination: .defaultRoute(.v4), gateway: .v4(IPv4Address(192, 168, 1, 1)),
                                            ifindex: 3, proto: 4))
        }
        if rng.chance(0.3) { model.state.rules.append(Rule(family: .v4, priority: 20003, source: .host(.v4(host())), table: 20003, proto: 4)) }
        if rng.chance(0.3) {
            // An object of the agent's shared by every ENI, on its way out.
            let shared = Rule(family: .v4, priority: 5, table: 77)
            model.state.rules.append(shared)
            ownership.pendingRemovals[.rule(shared.key)] = rng.int(1...3)
        }
        if rng.chance(0.1), model.state.link(index: 5) != nil { model.removeLink(index: 5) }
        if rng.chance(0.1), model.state.link(index: 4) != nil { model.recreateLink(index: 4, as: 14) }
        if rng.chance(0.1), model.state.link(index: 3) != nil { model.setLinkDown(index: 3) }
        if rng.chance(0.1), let eth1 = model.state.link(index: 3) {
            // A VLAN on eth1 carries its MAC (and lists first, as if its index were lower).
            model.state.links.insert(Link(index: 20, name: "eth1.100", mac: eth1.mac, isUp: true, kind: "vlan", master: nil), at: 0)
        }
        if rng.chance(0.1), let i = model.state.links.firstIndex(where: { $0.index == 4 }) {
            // eth2 enslaved to a bridge that took its MAC.
            model.state.links[i].master = 21
            model.state.links.append(Link(index: 21, name: "br0", mac: model.state.links[i].mac, isUp: true, kind: "bridge"))
        }
        kernel = model.state
        network = randomNetwork(complete: complete)
    }
}

/// SplitMix64: a small deterministic generator for scenarios.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) < p * 10_000 }
}
