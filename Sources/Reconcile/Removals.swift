// SPDX-License-Identifier: Apache-2.0
import Model

/// The removal half of a plan (docs/design.md §4.1-4.4): owned objects nothing wants any more,
/// outside links the agent must not touch; which of them wait (for an ENI whose read is
/// incomplete or invalid, or for the grace) and which go now. Counts are kept per object
/// (`ObjectKey`) and advance only on reads complete for the object's ENI.
struct Removals {
    /// The removals to make this cycle, rules first, then routes, then addresses.
    private(set) var emitted: [PlannedOp] = []
    private(set) var notes: [PlanNote] = []
    /// `owned` with the grace counts of this read.
    private(set) var ownership: Ownership

    /// Whose read a removal waits for.
    private enum Scope: Hashable {
        /// An object on an ENI's link: that ENI's.
        case eni(MACAddress)
        /// An object on a link that is no listed ENI's (a detached ENI, a gone link): the
        /// listing's, which is complete whenever removals may happen at all.
        case noENI
        /// An object of every ENI (the suppress rules): every ENI's.
        case shared
    }

    private struct Candidate {
        var planned: PlannedOp
        var key: ObjectKey
        var scope: Scope
        /// Why it goes without the grace: positive evidence in a complete read.
        var now: String?
    }

    init(desired: Desired, actual: KernelState, owned: Ownership, ownership addresses: AddressOwnership, config: PlanConfig) {
        ownership = owned
        let candidates = Self.candidates(desired, actual, addresses, config)
        guard desired.globalHolds.isEmpty else {
            // Nothing is known: no count moves.
            if !candidates.isEmpty {
                notes.append(PlanNote(.warning, eni: nil, "\(candidates.count) removal(s) held back: metadata incomplete (\(desired.globalHolds.prefix(3).joined(separator: "; ")))"))
            }
            return
        }
        var pending: [ObjectKey: Int] = [:]
        var waiting = 0
        var held: [Scope: Int] = [:]
        for candidate in candidates {
            if Self.waits(candidate.scope, desired) && candidate.now == nil {
                pending[candidate.key] = owned.pendingRemovals[candidate.key]
                held[candidate.scope, default: 0] += 1
                continue
            }
            if let now = candidate.now {
                var op = candidate.planned
                op.reason = now
                emitted.append(op)
                continue
            }
            // Saturating: a count only has to reach the grace, whatever a state file says.
            let count = min(owned.pendingRemovals[candidate.key] ?? 0, config.removalGrace) + 1
            pending[candidate.key] = count
            if count >= config.removalGrace {
                var op = candidate.planned
                op.reason += config.removalGrace > 1 ? " (absent from \(count) complete reads)" : ""
                emitted.append(op)
            } else {
                waiting += 1
            }
        }
        ownership.pendingRemovals = pending
        if waiting > 0 {
            notes.append(PlanNote(.info, eni: nil, "\(waiting) removal(s) wait for \(config.removalGrace) consecutive complete metadata reads"))
        }
        for (scope, count) in held.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            switch scope {
            case .eni(let mac):
                let eni = desired.network?.eni(mac: mac)
                notes.append(PlanNote(.warning, eni: ENIRef(id: eni?.id, mac: mac, ifname: nil),
                                      "\(count) removal(s) on \(eni?.id ?? mac.description) held back: its metadata is incomplete or invalid (\(desired.heldENIs[mac] ?? ""))"))
            case .shared:
                let names = desired.heldENIs.keys.sorted().map { mac in desired.network?.eni(mac: mac)?.id ?? mac.description }
                notes.append(PlanNote(.warning, eni: nil, "\(count) removal(s) shared by every ENI held back: metadata of \(names.joined(separator: ", ")) incomplete or invalid"))
            case .noENI:
                break
            }
        }
    }

    private static func waits(_ scope: Scope, _ desired: Desired) -> Bool {
        switch scope {
        case .eni(let mac): desired.heldENIs[mac] != nil
        case .shared: !desired.heldENIs.isEmpty
        case .noENI: false
        }
    }

    private static func candidates(_ desired: Desired, _ actual: KernelState, _ ownership: AddressOwnership,
                                   _ config: PlanConfig) -> [Candidate] {
        let scheme = config.scheme
        let network = desired.network
        let wantedAddresses = Set(desired.addresses.map(\.object.key))
        let wantedRoutes = Set(desired.routes.map(\.object.key))
        let wantedRules = Set(desired.rules.map(\.object.key))
        func ref(forLink index: Int32?) -> ENIRef? {
            guard let index, let link = actual.link(index: index), let mac = link.mac else { return nil }
            return ENIRef(id: network?.eni(mac: mac)?.id, mac: mac, ifname: link.name)
        }
        func scope(ofLink index: Int32?) -> Scope {
            guard let index else { return .shared }
            return desired.eniOfLink[index].map(Scope.eni) ?? .noENI
        }
        /// An address that belongs to another ENI than the one whose link holds it: it has moved
        /// (positive evidence, no grace). The evidence is the new ENI's list (its valid entries
        /// are certain even if another of its keys failed) and the old ENI's complete read, which
        /// no longer lists it; another ENI's primary address needs no more than that ENI's list.
        func moved(_ address: IPAddress, fromLink index: Int32, _ scope: Scope) -> String? {
            guard let claims = desired.claims,
                  let owner = claims.owner[address] ?? desired.prefixOwner(of: address, config: config),
                  owner != actual.link(index: index)?.mac,
                  claims.primaries.contains(address) || !waits(scope, desired) else { return nil }
            return "\(address) now belongs to \(network?.eni(mac: owner)?.id ?? owner.description)"
        }
        /// The same for a delegated prefix's rule or `local` route: the prefix is now another ENI's.
        func moved(prefix: IPPrefix, fromLink index: Int32, _ scope: Scope) -> String? {
            guard let owner = desired.prefixOwner[prefix], owner != actual.link(index: index)?.mac, !waits(scope, desired) else { return nil }
            return "prefix \(prefix) now belongs to \(network?.eni(mac: owner)?.id ?? owner.description)"
        }

        var candidates: [Candidate] = []
        for rule in actual.rules where rule.proto == eniAgentProtocol && !wantedRules.contains(rule.key) {
            let slot = scheme.slot(ofTable: rule.table)
            if let slot, desired.handsOff.contains(slot) { continue }
            let planned = PlannedOp(op: .removeRule(rule), reason: "no longer wanted by metadata", eni: ref(forLink: slot))
            guard let slot else {
                candidates.append(Candidate(planned: planned, key: .rule(rule.key), scope: .shared))
                continue
            }
            // Rules whose link is gone point at tables the kernel already emptied: no metadata
            // flap can make them useful again (docs/design.md §4.4).
            let gone = actual.link(index: slot) == nil ? "its link (index \(slot)) is gone" : nil
            let scope = scope(ofLink: slot)
            let move = rule.source.flatMap { $0.isHost ? moved($0.address, fromLink: slot, scope) : moved(prefix: $0, fromLink: slot, scope) }
            candidates.append(Candidate(planned: planned, key: .rule(rule.key), scope: gone == nil ? scope : .noENI, now: gone ?? move))
        }
        for route in actual.routes where route.proto == eniAgentProtocol && !wantedRoutes.contains(route.key) {
            if let index = route.ifindex, desired.handsOff.contains(index) { continue }
            let scope = scope(ofLink: route.ifindex)
            let move = route.type == .local ? route.ifindex.flatMap { moved(prefix: route.destination, fromLink: $0, scope) } : nil
            candidates.append(Candidate(planned: PlannedOp(op: .removeRoute(route), reason: "no longer wanted by metadata", eni: ref(forLink: route.ifindex)),
                                        key: .route(route.key), scope: scope, now: move))
        }
        let primaryAddress: (Int32, IPAddress)? = network.flatMap { network in
            guard let link = desired.links.link(for: network.primaryMAC),
                  let ip = network.eni(mac: network.primaryMAC)?.primaryIPv4 else { return nil }
            return (link.index, .v4(ip))
        }
        for address in actual.addresses where !wantedAddresses.contains(address.key) && ownership.owns(address) {
            guard !desired.handsOff.contains(address.ifindex) else { continue }
            if let (index, ip) = primaryAddress, index == address.ifindex, ip == address.address { continue }
            let scope = scope(ofLink: address.ifindex)
            candidates.append(Candidate(planned: PlannedOp(op: .removeAddress(address), reason: "no longer in metadata", eni: ref(forLink: address.ifindex)),
                                        key: .address(address.key), scope: scope, now: moved(address.address, fromLink: address.ifindex, scope)))
        }
        return candidates
    }
}
