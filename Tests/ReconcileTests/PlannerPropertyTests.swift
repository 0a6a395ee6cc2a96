import Testing
import PropertyBased
import Model
@testable import Reconcile

/// A random but plausible instance: up to four ENI links (some down, one maybe missing), a
/// foreign link, metadata that may disagree with what the agent did before (addresses moved,
/// ENIs gone, values out of the vSwitch, incomplete ENIs), foreign objects on the same links and
/// keys, and ownership records left from an earlier run. Built from one seed so that a failure
/// names a reproducible case.
struct Scenario: CustomStringConvertible {
    var seed: UInt64
    var network: InstanceNetwork
    var kernel: KernelState
    var ownership: Ownership
    var config: PlanConfig

    var description: String { "Scenario(seed: \(seed))" }

    init(seed: UInt64, complete: Bool = true) {
        self.seed = seed
        var rng = SplitMix(seed)
        let macs = (1...5).map { MACAddress(bytes: [0x00, 0x16, 0x3e, 0x00, 0x00, UInt8($0)])! }
        var links = [Link(index: 1, name: "lo", mac: nil, isUp: true),
                     Link(index: 9, name: "docker0", mac: MACAddress("02:42:ac:11:00:01"), isUp: true)]
        for (i, mac) in macs.enumerated().dropLast() where i == 0 || rng.chance(0.85) {
            links.append(Link(index: Int32(2 + i), name: "eth\(i)", mac: mac, isUp: i == 0 || rng.chance(0.6)))
        }
        let subnet = IPPrefix("192.168.1.0/24")!
        func host() -> IPv4Address { IPv4Address(192, 168, 1, UInt8(rng.int(1...40))) }
        func host6() -> IPv6Address { IPv6Address(high: 0x2408_4005_03a4_ab00, low: UInt64(rng.int(1...40))) }
        func randomENI(_ mac: MACAddress, id: Int, complete: Bool) -> ENI {
            let primary = host()
            var others = (0..<rng.int(0...4)).map { _ in host() }
            if rng.chance(0.1) { others.append(IPv4Address(10, 0, 0, 5)) }  // outside the vSwitch
            let v6s = (0..<rng.int(0...2)).map { _ in host6() }
            return ENI(mac: mac, id: "eni-\(id)", primaryIPv4: primary, privateIPv4s: [primary] + others,
                       ipv4Subnet: rng.chance(0.95) ? subnet : nil, gateway: rng.chance(0.9) ? IPv4Address(192, 168, 1, 253) : nil,
                       ipv6s: v6s, ipv6Gateway: rng.chance(0.8) ? IPv6Address("2408:4005:3a4:ab00:ffff:ffff:ffff:fffd") : nil,
                       ipv6Subnet: rng.chance(0.7) ? IPPrefix("2408:4005:3a4:ab00::/64") : nil,
                       completeness: complete || rng.chance(0.5) ? .complete : .incomplete(reason: "HTTP 500"))
        }
        func randomNetwork(complete: Bool) -> InstanceNetwork {
            var enis: [ENI] = []
            for (i, mac) in macs.enumerated() where i == 0 || rng.chance(0.7) {
                enis.append(randomENI(mac, id: i, complete: complete))
            }
            return InstanceNetwork(primaryMAC: macs[0], enis: enis)
        }
        config = PlanConfig(ipv6: rng.chance(0.8), bringUpLinks: rng.chance(0.8), removalGrace: 1,
                            ignored: InterfaceMatcher(rng.chance(0.2) ? ["eth3"] : []))

        // What an earlier run of the agent left, from other metadata, plus the rest of the world.
        var model = KernelModel(state: KernelState(links: links))
        model.state.addresses.append(Address(ifindex: 2, ifname: "eth0", prefix: IPPrefix("192.168.1.200/24")!))
        let earlier = Reconcile.plan(desired: randomNetwork(complete: true), actual: model.state, owned: Ownership(), config: config)
        let results = model.apply(earlier.ops.map(\.op))
        ownership = earlier.ownership.recording(results, macs: model.macs)
        for link in links where link.mac != nil && rng.chance(0.3) {
            let foreign = Address(ifindex: link.index, ifname: link.name, prefix: IPPrefix(address: .v4(host()), length: 24)!)
            if !model.state.addresses.contains(where: { $0.key == foreign.key }) { model.state.addresses.append(foreign) }
        }
        if rng.chance(0.3) {
            model.state.routes.append(Route(table: 20003, destination: .defaultRoute(.v4), gateway: .v4(IPv4Address(192, 168, 1, 1)),
                                            ifindex: 3, proto: 4))
        }
        if rng.chance(0.3) { model.state.rules.append(Rule(family: .v4, priority: 20003, source: .host(.v4(host())), table: 20003, proto: 4)) }
        if rng.chance(0.3) { ownership.pendingRemovals["rule del from all lookup 77 priority 5 proto 233"] = rng.int(1...3) }
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

let seeds = Gen.uint64(in: 0...UInt64.max)

@Suite("Planner properties over random states")
struct PlannerPropertyTests {
    @Test func applyingAPlanAndPlanningAgainGivesAnEmptyPlan() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            var cycle = Cycle(kernel: s.kernel, config: s.config)
            cycle.ownership = s.ownership
            cycle.run(s.network)
            let again = cycle.run(s.network)
            #expect(again.lines == [], "\(s)")
        }
    }

    @Test func withAGraceOfNTheKernelConvergesWithinNCycles() async {
        await propertyCheck(count: 200, input: seeds, Gen.int(in: 1...4)) { seed, grace in
            let s = Scenario(seed: seed)
            var config = s.config
            config.removalGrace = grace
            var cycle = Cycle(kernel: s.kernel, config: config)
            cycle.ownership = s.ownership
            for _ in 0..<grace { cycle.run(s.network) }
            #expect(cycle.run(s.network).lines == [], "\(s) grace \(grace)")
        }
    }

    @Test func noOpEverRemovesOrReplacesWhatTheAgentDoesNotOwn() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            let plan = Reconcile.plan(desired: s.network, actual: s.kernel, owned: s.ownership, config: s.config)
            let primaryLink = s.kernel.link(mac: s.network.primaryMAC)
            let primaryIP = s.network.eni(mac: s.network.primaryMAC)?.primaryIPv4
            for op in plan.ops.map(\.op) {
                switch op {
                case .removeAddress(let a):
                    let actual = s.kernel.addresses.first { $0.key == a.key }
                    let mac = s.kernel.link(index: a.ifindex)?.mac
                    let owned = actual?.proto == 233 || s.ownership.addresses.contains { $0.ifindex == a.ifindex && $0.address == a.address && $0.mac == mac }
                    #expect(owned, "\(s): \(op)")
                    #expect(!(a.ifindex == primaryLink?.index && primaryIP.map { IPAddress.v4($0) } == a.address), "\(s): \(op)")
                case .removeRoute(let r):
                    #expect(s.kernel.routes.contains { $0.key == r.key && $0.proto == 233 }, "\(s): \(op)")
                case .addRoute(let r, true):
                    #expect(s.kernel.routes.contains { $0.key == r.key && $0.proto == 233 }, "\(s): \(op)")
                case .removeRule(let r):
                    #expect(s.kernel.rules.contains { $0.key == r.key && $0.proto == 233 }, "\(s): \(op)")
                default:
                    break
                }
            }
        }
    }

    @Test func anIncompleteENIOrAFailedReadNeverYieldsARemoval() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed, complete: false)
            let plan = Reconcile.plan(desired: s.network, actual: s.kernel, owned: s.ownership, config: s.config)
            if !s.network.isComplete {
                #expect(plan.removals.isEmpty, "\(s)")
                #expect(plan.ownership.pendingRemovals == s.ownership.pendingRemovals, "\(s)")
            }
            let failed = Reconcile.plan(desired: nil, actual: s.kernel, owned: s.ownership, config: s.config)
            #expect(failed.ops.isEmpty, "\(s)")
        }
    }

    @Test func additionsAlwaysPrecedeRemovals() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            let ops = Reconcile.plan(desired: s.network, actual: s.kernel, owned: s.ownership, config: s.config).ops.map(\.op)
            if let firstRemoval = ops.firstIndex(where: \.isRemoval) {
                let tail = ops[firstRemoval...].allSatisfy { $0.isRemoval }
                #expect(tail, "\(s)")
            }
        }
    }

    @Test func everyAddedAddressIsInsideItsVSwitchAndNeverTheInstancePrimary() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            let plan = Reconcile.plan(desired: s.network, actual: s.kernel, owned: s.ownership, config: s.config)
            let primaryIP = s.network.eni(mac: s.network.primaryMAC)?.primaryIPv4.map { IPAddress.v4($0) }
            let primaryLink = s.kernel.link(mac: s.network.primaryMAC)?.index
            for case .addAddress(let a) in plan.ops.map(\.op) {
                let eni = s.network.eni(mac: s.kernel.link(index: a.ifindex)!.mac!)!
                if case .v4 = a.address { #expect(eni.ipv4Subnet?.contains(a.address) == true, "\(s): \(a.prefix)") }
                #expect(!(a.ifindex == primaryLink && a.address == primaryIP), "\(s)")
                #expect(a.proto == 233)
            }
        }
    }
}
