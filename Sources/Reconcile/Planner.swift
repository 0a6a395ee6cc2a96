public import Model

/// Desired × actual × owned × config → an ordered plan. Pure: no I/O, no clock, no randomness,
/// so the same inputs always give the same plan (and `--dry-run` shows exactly what a sync does).
///
/// Safety rules (docs/design.md §4), each enforced here:
/// 1. only owned objects (protocol 233, or recorded addresses) are removed or replaced;
/// 2. no removal at all unless every ENI of the read is complete and valid;
/// 3. a removal is emitted only after `removalGrace` consecutive complete reads wanted it;
/// 4. a vanished link's dangling rules are removed at the first complete read, without the grace;
/// 5. link bring-up, then additions, then removals;
/// 6. rejected metadata values are never applied (see `Desired`).
/// The primary ENI's primary address is never wanted, and never removed.
public func plan(desired network: InstanceNetwork?, actual: KernelState, owned: Ownership, config: PlanConfig) -> Plan {
    let desired = Desired(network: network, actual: actual, config: config)
    var adds: [PlannedOp] = []
    var notes = desired.notes

    for wanted in desired.linksUp {
        adds.append(PlannedOp(op: .setLinkUp(ifindex: wanted.object.index, ifname: wanted.object.name),
                              reason: wanted.reason, eni: wanted.eni))
    }

    // Addresses: add what is missing; an address somebody else configured is left alone (and
    // never claimed), whatever its prefix length or flags.
    let actualAddressKeys = Set(actual.addresses.map(\.key))
    for wanted in desired.addresses where !actualAddressKeys.contains(wanted.object.key) {
        adds.append(PlannedOp(op: .addAddress(wanted.object), reason: wanted.reason, eni: wanted.eni))
    }

    // Routes: add, or replace an owned route whose next hop changed; a foreign route on the
    // same key wins and is reported.
    var actualRoutes: [RouteKey: [Route]] = [:]
    for route in actual.routes { actualRoutes[route.key, default: []].append(route) }
    for wanted in desired.routes {
        let route = wanted.object
        let present = actualRoutes[route.key] ?? []
        if present.contains(where: { $0.proto == eniAgentProtocol && $0.matches(route) }) { continue }
        if let ours = present.first(where: { $0.proto == eniAgentProtocol }) {
            adds.append(PlannedOp(op: .addRoute(route, replace: true),
                                  reason: "\(wanted.reason) (was \(Op.render(ours)))", eni: wanted.eni))
        } else if let foreign = present.first {
            notes.append(PlanNote(.warning, eni: wanted.eni,
                                  "not adding \(Op.render(route)): \(Op.render(foreign)) is there and not ours; left as is"))
        } else {
            adds.append(PlannedOp(op: .addRoute(route), reason: wanted.reason, eni: wanted.eni))
        }
    }

    // Rules: add what is missing, lowest priority first so that the suppress rule is in place
    // before any ENI default rule takes effect.
    let actualRuleKeys = Set(actual.rules.map(\.key))
    for wanted in desired.rules.sorted(by: { $0.object.priority < $1.object.priority })
    where !actualRuleKeys.contains(wanted.object.key) {
        adds.append(PlannedOp(op: .addRule(wanted.object), reason: wanted.reason, eni: wanted.eni))
    }

    // Removal candidates: owned objects nothing wants any more, outside ignored links.
    let macs = Dictionary(actual.links.map { ($0.index, $0.mac) }, uniquingKeysWith: { first, _ in first })
    let primaryAddress: (Int32, IPAddress)? = network.flatMap { network in
        guard let link = actual.link(mac: network.primaryMAC),
              let ip = network.eni(mac: network.primaryMAC)?.primaryIPv4 else { return nil }
        return (link.index, .v4(ip))
    }
    let wantedAddressKeys = Set(desired.addresses.map(\.object.key))
    let wantedRouteKeys = Set(desired.routes.map(\.object.key))
    let wantedRuleKeys = Set(desired.rules.map(\.object.key))
    func ref(forLink index: Int32?) -> ENIRef? {
        guard let index, let link = actual.link(index: index), let mac = link.mac else { return nil }
        let id = network?.eni(mac: mac)?.id
        return ENIRef(id: id, mac: mac, ifname: link.name)
    }

    var candidates: [PlannedOp] = []
    // Rules whose link is gone point at tables the kernel already emptied: no metadata flap can
    // make them useful again, so they skip the grace (docs/design.md §4.4); a partial read still
    // holds them back like every removal.
    var dangling: Set<String> = []
    for rule in actual.rules where rule.proto == eniAgentProtocol && !wantedRuleKeys.contains(rule.key) {
        let slot = config.scheme.slot(ofTable: rule.table)
        if let slot, desired.ignoredLinks.contains(slot) { continue }
        let gone = slot.map { actual.link(index: $0) == nil } ?? false
        let op = PlannedOp(op: .removeRule(rule), reason: gone ? "its link (index \(slot!)) is gone" : "no longer wanted by metadata",
                           eni: ref(forLink: slot))
        if gone { dangling.insert(op.op.description) }
        candidates.append(op)
    }
    for route in actual.routes where route.proto == eniAgentProtocol && !wantedRouteKeys.contains(route.key) {
        if let index = route.ifindex, desired.ignoredLinks.contains(index) { continue }
        candidates.append(PlannedOp(op: .removeRoute(route), reason: "no longer wanted by metadata", eni: ref(forLink: route.ifindex)))
    }
    for address in actual.addresses where !wantedAddressKeys.contains(address.key) {
        guard address.proto == eniAgentProtocol || owned.records(address, linkMAC: macs[address.ifindex] ?? nil) else { continue }
        guard !desired.ignoredLinks.contains(address.ifindex) else { continue }
        if let (index, ip) = primaryAddress, index == address.ifindex, ip == address.address { continue }
        candidates.append(PlannedOp(op: .removeAddress(address), reason: "no longer in metadata", eni: ref(forLink: address.ifindex)))
    }

    // Ownership: forget records whose link is gone or was recreated with another MAC.
    var ownership = owned
    ownership.addresses.removeAll { record in macs[record.ifindex] == nil || macs[record.ifindex]! != record.mac }

    var removals: [PlannedOp] = []
    let removalsAllowed = desired.holdReasons.isEmpty
    if removalsAllowed {
        var pending: [String: Int] = [:]
        for candidate in candidates {
            let key = candidate.op.description
            if dangling.contains(key) {
                removals.append(candidate)
                continue
            }
            let count = (owned.pendingRemovals[key] ?? 0) + 1
            if count >= config.removalGrace {
                var op = candidate
                op.reason += config.removalGrace > 1 ? " (absent from \(count) complete reads)" : ""
                removals.append(op)
            }
            pending[key] = count
        }
        ownership.pendingRemovals = pending
        let waiting = candidates.count - removals.count
        if waiting > 0 {
            notes.append(PlanNote(.info, eni: nil, "\(waiting) removal(s) wait for \(config.removalGrace) consecutive complete metadata reads"))
        }
    } else if !candidates.isEmpty {
        notes.append(PlanNote(.warning, eni: nil,
                              "\(candidates.count) removal(s) held back: metadata incomplete (\(desired.holdReasons.prefix(3).joined(separator: "; ")))"))
    }

    return Plan(ops: adds + removals, notes: notes, ownership: ownership, managed: desired.managed,
                removalsAllowed: removalsAllowed)
}
