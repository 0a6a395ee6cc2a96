// SPDX-License-Identifier: Apache-2.0
import Testing
import PropertyBased
import Model
@testable import Reconcile

let seeds = Gen.uint64(in: 0...UInt64.max)

/// Independent oracles for the properties: written from docs/design.md, not from the planner.
extension Scenario {
    /// docs/design.md §4.1: the kernel's mark decides; without marks anywhere, the record.
    func owns(_ a: Address, in kernel: KernelState) -> Bool {
        if let proto = a.proto { return proto == 233 }
        if kernel.addresses.contains(where: { $0.proto != nil }) { return false }
        let mac = kernel.link(index: a.ifindex)?.mac
        return ownership.addresses.contains { $0.ifindex == a.ifindex && $0.prefix == a.prefix && $0.mac == mac }
    }

    /// Every object the agent owns in `kernel`.
    func ownedKeys(in kernel: KernelState) -> Set<ObjectKey> {
        var keys = Set(kernel.addresses.filter { owns($0, in: kernel) }.map { ObjectKey.address($0.key) })
        keys.formUnion(kernel.routes.filter { $0.proto == 233 }.map { .route($0.key) })
        keys.formUnion(kernel.rules.filter { $0.proto == 233 }.map { .rule($0.key) })
        return keys
    }

    /// Owned objects that may go without the grace: rules of a link that is gone, and an
    /// address (with its rules) that the read lists on an ENI other than the one its link is.
    func mayGoAtOnce(_ key: ObjectKey, in kernel: KernelState) -> Bool {
        func listedElsewhere(_ address: IPAddress, link index: Int32) -> Bool {
            let mac = kernel.link(index: index)?.mac
            return network.enis.contains { eni in
                eni.mac != mac && ((eni.privateIPv4s.map(IPAddress.v4) + eni.ipv6s.map(IPAddress.v6)
                    + (eni.primaryIPv4.map { [.v4($0)] } ?? [])).contains(address)
                    || (config.prefixes == .addresses && eni.ipv4Prefixes.contains { $0.contains(address) }))
            }
        }
        /// A delegated prefix another ENI lists: its rules and local route move at once.
        func prefixElsewhere(_ prefix: IPPrefix, link index: Int32?) -> Bool {
            let mac = index.flatMap { kernel.link(index: $0)?.mac }
            return config.prefixes != .off && network.enis.contains { $0.mac != mac && $0.prefixes.contains(prefix) }
        }
        switch key {
        case .address(let a): return listedElsewhere(a.address, link: a.ifindex)
        case .route(let r): return r.type == .local && prefixElsewhere(r.destination, link: kernel.routes.first { $0.key == r }?.ifindex)
        case .rule(let r):
            guard let slot = config.scheme.slot(ofTable: r.table) else { return false }
            return kernel.link(index: slot) == nil
                || r.source.map { $0.isHost ? listedElsewhere($0.address, link: slot) : prefixElsewhere($0, link: slot) } ?? false
        }
    }

    /// The links of ENIs whose read is incomplete.
    var incompleteLinks: Set<Int32> {
        let macs = Set(network.enis.filter { !$0.completeness.isComplete }.map(\.mac))
        return Set(kernel.links.filter { $0.mac.map(macs.contains) ?? false }.map(\.index))
    }

    /// Links nothing may touch: ignored by configuration, or an ENI's link enslaved to a master.
    var untouchable: Set<Int32> {
        Set(kernel.links.filter { config.ignored.matches(name: $0.name, mac: $0.mac) || $0.master != nil }.map(\.index))
    }
}

extension KernelState {
    var objectKeys: Set<ObjectKey> {
        Set(addresses.map { .address($0.key) } + routes.map { .route($0.key) } + rules.map { .rule($0.key) })
    }
}

/// The link an op is about: an address's or route's link, a rule's table slot.
func link(of op: Op, _ scheme: RoutingScheme) -> Int32? {
    switch op {
    case .setLinkUp(let index, _): index
    case .addAddress(let a), .removeAddress(let a): a.ifindex
    case .addRoute(let r, _), .removeRoute(let r): r.ifindex
    case .addRule(let r), .removeRule(let r): scheme.slot(ofTable: r.table)
    }
}

@Suite("Planner properties over random states")
struct PlannerPropertyTests {
    @Test func applyingAPlanAndPlanningAgainGivesAnEmptyPlan() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            var cycle = s.cycle()
            cycle.run(s.network)
            let again = cycle.run(s.network)
            #expect(again.lines == [], "\(s)")
        }
    }

    /// docs/design.md §4.3, both ways: before the grace-th complete read nothing owned has gone
    /// (a planner that ignored the grace would converge sooner and still pass a convergence
    /// check), and after it everything has converged.
    @Test func withAGraceOfNNothingOwnedGoesBeforeTheNthReadAndAllHasConvergedAfterIt() async {
        await propertyCheck(count: 300, input: seeds, Gen.int(in: 1...4)) { seed, grace in
            let s = Scenario(seed: seed)
            var cycle = s.cycle(grace: grace)
            let kept = s.ownedKeys(in: s.kernel).filter { !s.mayGoAtOnce($0, in: s.kernel) }
            for read in 1..<grace {
                cycle.run(s.network)
                // An object whose count earlier reads advanced may go that much sooner.
                let gone = kept.subtracting(cycle.kernel.state.objectKeys).filter { (s.ownership.pendingRemovals[$0] ?? 0) + read < grace }
                #expect(gone.isEmpty, "\(s) grace \(grace): gone after \(read) complete read(s): \(gone)")
            }
            cycle.run(s.network)
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
                    #expect(actual.map { s.owns($0, in: s.kernel) } == true, "\(s): \(op)")
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

    /// docs/design.md §4.2 per ENI: an incomplete ENI's removals wait, and so do those of every
    /// ENI together (the suppress rules); a failed read changes nothing.
    @Test func anIncompleteENIRemovesNothingOfItsOwnAndAFailedReadNothingAtAll() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed, complete: false)
            let plan = Reconcile.plan(desired: s.network, actual: s.kernel, owned: s.ownership, config: s.config)
            let incomplete = s.incompleteLinks
            // Another complete ENI's primary address (and its rules) goes from anywhere else.
            let primaries = Set(s.network.enis.compactMap(\.primaryIPv4).map(IPAddress.v4))
            for op in plan.removals {
                let index = link(of: op, s.config.scheme)
                if let index, s.kernel.link(index: index) == nil { continue }  // a gone link's rules
                switch op {
                case .removeAddress(let a) where primaries.contains(a.address): continue
                case .removeRule(let r) where r.source.map({ $0.isHost && primaries.contains($0.address) }) == true: continue
                default: break
                }
                #expect(!(index.map(incomplete.contains) ?? !incomplete.isEmpty), "\(s): \(op)")
            }
            let shared = Rule(family: .v4, priority: 5, table: 77)
            if !s.network.isComplete, s.kernel.rules.contains(shared) {
                #expect(plan.ownership.pendingRemovals[.rule(shared.key)] == s.ownership.pendingRemovals[.rule(shared.key)], "\(s)")
            }
            let failed = Reconcile.plan(desired: nil, actual: s.kernel, owned: s.ownership, config: s.config)
            #expect(failed.ops.isEmpty, "\(s)")
        }
    }

    /// Adds before removes, except an address removal that would otherwise take an addition of
    /// the same subnet with it (docs/design.md §4.5): it goes first.
    @Test func additionsPrecedeRemovalsSaveThoseThatWouldTakeAnAddition() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            let ops = Reconcile.plan(desired: s.network, actual: s.kernel, owned: s.ownership, config: s.config).ops.map(\.op)
            guard let firstAddition = ops.firstIndex(where: { !$0.isRemoval }) else { return }
            let added = ops.compactMap { op -> Address? in if case .addAddress(let a) = op { a } else { nil } }
            for op in ops[..<firstAddition] {
                guard case .removeAddress(let a) = op else {
                    Issue.record("\(s): \(op) before the additions")
                    continue
                }
                let subnet = s.kernel.addresses.first { $0.key == a.key }!.prefix.network
                #expect(added.contains { $0.ifindex == a.ifindex && $0.prefix.length == subnet.length && subnet.contains($0.address) },
                        "\(s): \(op) before the additions")
            }
            let lastAddition = ops.lastIndex { !$0.isRemoval }!
            #expect(ops[firstAddition...lastAddition].allSatisfy { !$0.isRemoval }, "\(s)")
        }
    }

    /// docs/design.md §3 and §4.6: an added address is valid, inside its vSwitch, never the
    /// instance's DHCP address (on any link), and on one link only.
    @Test func everyAddedAddressIsValidOnOneENIAndNeverTheInstancePrimary() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            var cycle = s.cycle()
            let plan = cycle.run(s.network)
            let primaryIP = s.network.eni(mac: s.network.primaryMAC)?.primaryIPv4.map { IPAddress.v4($0) }
            for case .addAddress(let a) in plan.ops.map(\.op) {
                let eni = s.network.eni(mac: s.kernel.link(index: a.ifindex)!.mac!)!
                if case .v4 = a.address { #expect(eni.ipv4Subnet?.contains(a.address) == true, "\(s): \(a.prefix)") }
                #expect(a.address != primaryIP, "\(s): \(a.prefix)")
                #expect(a.address.unusableReason(as: .host) == nil, "\(s): \(a.prefix)")
                #expect(a.proto == 233)
            }
            let added = plan.ops.compactMap { op -> Address? in if case .addAddress(let a) = op.op { a } else { nil } }
            for a in added {
                let elsewhere = cycle.kernel.state.addresses.filter { other in
                    other.address == a.address && other.ifindex != a.ifindex && s.owns(other, in: s.kernel)
                        && !s.untouchable.contains(other.ifindex)
                }
                // Except where removing the old copy would take other addresses with it: then it
                // is left, with a warning, and only its rules go (AddressRemovalOrder).
                let announced = elsewhere.allSatisfy { old in plan.notes.contains { $0.message.hasPrefix("left \(old.prefix) on \(old.ifname)") } }
                if announced { continue }
                #expect(elsewhere.isEmpty, "\(s): \(a.address) added on \(a.ifname) stays on \(elsewhere.map(\.ifname)) too")
            }
        }
    }

    /// Every op the planner emits is one the kernel accepts: no route through a down link, no
    /// gateway that is a local address, no IPv6 gateway without a route to it.
    @Test func theKernelAcceptsEveryOp() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            var cycle = s.cycle()
            for _ in 0..<2 {
                cycle.run(s.network)
                #expect(cycle.results.filter { !$0.outcome.succeeded }.isEmpty, "\(s)")
            }
        }
    }

    /// docs/design.md §4.5: with promote_secondaries off or unknown, removing a subnet's primary
    /// takes its secondaries; the plan never loses an address it did not remove.
    @Test func applyingAPlanNeverTakesAnAddressItDidNotRemove() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            var cycle = s.cycle()
            for _ in 0..<2 {
                let before = cycle.kernel.state.addresses
                let plan = cycle.run(s.network)
                let removed = Set(plan.removals.compactMap { op -> AddressKey? in if case .removeAddress(let a) = op { a.key } else { nil } })
                let lost = before.filter { a in !removed.contains(a.key) && !cycle.kernel.state.addresses.contains { $0.key == a.key } }
                #expect(lost.isEmpty, "\(s): \(lost.map(\.prefix)) went with another removal")
            }
        }
    }

    /// docs/design.md §3, "Delegated prefixes": after a sync each served prefix has exactly what
    /// its mode asks for (rules on a secondary ENI, a `local` route, its IPv4 addresses), on one
    /// ENI, and nothing of the agent's serves a prefix that metadata does not list.
    @Test func everyServedPrefixHasWhatItsModeAsksForAndNothingElse() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            var cycle = s.cycle()
            let plan = cycle.run(s.network)
            cycle.run(s.network)
            let kernel = cycle.kernel.state
            var servedBy: [IPPrefix: Int32] = [:]
            for m in plan.managed {
                for prefix in m.prefixes {
                    #expect(servedBy.updateValue(m.ifindex, forKey: prefix) == nil, "\(s): \(prefix) served twice")
                    #expect(s.config.prefixes != .off, "\(s): \(prefix) served with prefixes off")
                    // (Rules in other ENIs' tables may still wait for the grace.)
                    let rules = kernel.rules.filter { $0.source == prefix && $0.proto == 233 && s.config.scheme.slot(ofTable: $0.table) == m.ifindex }
                    #expect(Set(rules.map(\.table)) == Set([m.subnetTable, m.defaultTable].compactMap { $0 }), "\(s): \(prefix) rules \(rules)")
                    let local = kernel.routes.contains {
                        $0.type == .local && $0.table == RouteTable.local && $0.destination == prefix && $0.ifindex == m.ifindex
                    }
                    let up = kernel.link(index: m.ifindex)?.isUp == true
                    if up && s.config.prefixes == .local { #expect(local, "\(s): \(prefix) has no local route") }
                    if plan.removalsAllowed && s.config.prefixes != .local { #expect(!local, "\(s): \(prefix) local route stays") }
                    if s.config.prefixes == .addresses, case .v4(let first) = prefix.address {
                        for offset in 0..<(UInt32(1) << UInt32(32 - prefix.length)) {
                            let address = IPAddress.v4(IPv4Address(first.value + offset))
                            #expect(kernel.addresses.contains { $0.address == address }, "\(s): \(address) of \(prefix) missing")
                        }
                    }
                }
            }
            guard plan.removalsAllowed else { return }
            let listed = Set(s.network.enis.flatMap(\.prefixes))
            for rule in kernel.rules where rule.proto == 233 {
                guard let source = rule.source, !source.isHost,
                      !(s.config.scheme.slot(ofTable: rule.table).map(s.untouchable.contains) ?? false) else { continue }
                #expect(listed.contains(source) && s.config.prefixes != .off, "\(s): \(Op.render(rule)) stays")
            }
        }
    }

    @Test func nothingOnAnIgnoredOrEnslavedLinkIsEverTouched() async {
        await propertyCheck(count: 400, input: seeds) { seed in
            let s = Scenario(seed: seed)
            let untouchable = s.untouchable
            guard !untouchable.isEmpty else { return }
            let plan = Reconcile.plan(desired: s.network, actual: s.kernel, owned: s.ownership, config: s.config)
            for op in plan.ops.map(\.op) {
                #expect(!(link(of: op, s.config.scheme).map(untouchable.contains) ?? false), "\(s): \(op)")
            }
        }
    }
}
