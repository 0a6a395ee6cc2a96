// SPDX-License-Identifier: Apache-2.0
public import Model

/// Desired × actual × owned × config → an ordered plan. Pure: no I/O, no clock, no randomness,
/// so the same inputs always give the same plan (and `--dry-run` shows exactly what a sync does).
///
/// Safety rules (docs/design.md §4), each enforced here:
/// 1. only owned objects (protocol 233, or recorded addresses: `AddressOwnership`) are removed
///    or replaced;
/// 2. an ENI whose read is incomplete or holds a rejected value removes nothing; objects shared
///    by all ENIs wait for every ENI; no metadata, or a listing without the primary ENI, removes
///    nothing anywhere;
/// 3. a removal is emitted only after `removalGrace` consecutive complete reads wanted it, except
///    where a complete read is positive evidence: an address (and its rules) listed on another
///    ENI moves now, and a vanished link's dangling rules go now (rule 4);
/// 5. link bring-up, then additions, then removals, address removals ordered so that none takes
///    another address with it (`AddressRemovalOrder`);
/// 6. rejected metadata values are never applied (`ValidatedENI`), and an address goes to one
///    ENI only (`AddressClaims`).
/// The primary ENI's primary address is never wanted, and never removed.
public func plan(desired network: InstanceNetwork?, actual: KernelState, owned: Ownership, config: PlanConfig) -> Plan {
    let ownership = AddressOwnership(kernel: actual, ownership: owned)
    let desired = Desired(network: network, actual: actual, ownership: ownership, config: config)
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
        adds.append(PlannedOp(op: .addAddress(wanted.object), reason: wanted.reason, eni: wanted.eni, prefix: wanted.prefix))
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
                                  reason: "\(wanted.reason) (was \(Op.render(ours)))", eni: wanted.eni, prefix: wanted.prefix))
        } else if let foreign = present.first {
            notes.append(PlanNote(.warning, eni: wanted.eni,
                                  "not adding \(Op.render(route)): \(Op.render(foreign)) is there and not ours; left as is"))
        } else {
            adds.append(PlannedOp(op: .addRoute(route), reason: wanted.reason, eni: wanted.eni, prefix: wanted.prefix))
        }
    }

    // Rules: add what is missing, lowest priority first so that the suppress rule is in place
    // before any ENI default rule takes effect.
    let actualRuleKeys = Set(actual.rules.map(\.key))
    for wanted in desired.rules.sorted(by: { $0.object.priority < $1.object.priority })
    where !actualRuleKeys.contains(wanted.object.key) {
        adds.append(PlannedOp(op: .addRule(wanted.object), reason: wanted.reason, eni: wanted.eni, prefix: wanted.prefix))
    }

    // A removal held back here keeps its count: it goes at the first cycle it no longer
    // takes another address with it.
    let removals = Removals(desired: desired, actual: actual, owned: owned, ownership: ownership, config: config)
    let order = AddressRemovalOrder.arrange(removals.emitted, adding: adds, actual: actual)
    for held in order.held {
        if case .removeAddress(let address) = held.removal.op {
            let subnet = address.prefix.network
            let setting = actual.link(index: address.ifindex)?.promotesSecondaries == nil ? "not reported (taken as off)" : "off"
            notes.append(PlanNote(.warning, eni: held.removal.eni, "left \(address.prefix) on \(address.ifname): it is the kernel's primary address of \(subnet) there and promote_secondaries is \(setting), so removing it would also remove \(held.bystanders.map { "\($0.prefix)" }.joined(separator: ", ")); it goes once they are gone, or with net.ipv4.conf.\(address.ifname).promote_secondaries=1"))
        }
    }
    notes += removals.notes

    var next = removals.ownership
    next.addresses = ownership.pruned(owned, kernel: actual)
    return Plan(ops: order.beforeAdditions + adds + order.afterAdditions, notes: notes, ownership: next,
                managed: desired.managed, removalsAllowed: desired.globalHolds.isEmpty && desired.heldENIs.isEmpty)
}
