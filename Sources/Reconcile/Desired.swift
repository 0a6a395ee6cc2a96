// SPDX-License-Identifier: Apache-2.0
import Model

/// A kernel object the metadata asks for, with why and for which ENI.
struct Wanted<Object: Sendable>: Sendable {
    var object: Object
    var reason: String
    var eni: ENIRef
    /// The delegated prefix it serves, if any (the `PREFIX` log field).
    var prefix: IPPrefix? = nil
}

/// docs/design.md §3 as data: what the kernel should hold for this metadata, whatever it holds
/// now. Built in steps: validate each ENI (`ValidatedENI`), give each address to one ENI
/// (`AddressClaims`), find each ENI's link (`ENILinks`), then per ENI its IPv4 and IPv6
/// addresses, routes, rules, and on the primary ENI an IPv6 default route.
struct Desired {
    var linksUp: [Wanted<Link>] = []
    var addresses: [Wanted<Address>] = []
    var routes: [Wanted<Route>] = []
    var rules: [Wanted<Rule>] = []
    var notes: [PlanNote] = []
    var managed: [ManagedENI] = []
    /// Why no removal may happen anywhere this cycle; empty when removals may happen.
    var globalHolds: [String] = []
    /// ENIs (by MAC) whose removals wait, and why: an incomplete read or a rejected value.
    var heldENIs: [MACAddress: String] = [:]
    /// Links never to touch: ignored by configuration, or an ENI's link enslaved to a master or
    /// sharing its MAC with another candidate.
    var handsOff: Set<Int32> = []
    /// Link index → MAC of the ENI that link is.
    var eniOfLink: [Int32: MACAddress] = [:]
    /// Each delegated prefix the plan serves → the one ENI it is for.
    var prefixOwner: [IPPrefix: MACAddress] = [:]
    let links: ENILinks
    let claims: AddressClaims?
    let network: InstanceNetwork?

    init(network: InstanceNetwork?, actual: KernelState, ownership: AddressOwnership, config: PlanConfig) {
        self.network = network
        links = ENILinks(kernel: actual)
        // A link enslaved to a bridge, bond, VRF or failover master is part of somebody else's
        // design: never configured, never cleaned up (docs/design.md §3).
        for link in actual.links where link.master != nil || config.ignored.matches(name: link.name, mac: link.mac) {
            handsOff.insert(link.index)
        }
        guard let network else {
            globalHolds.append("no metadata has been read")
            claims = nil
            return
        }
        if network.eni(mac: network.primaryMAC) == nil {
            globalHolds.append("the primary ENI \(network.primaryMAC) is not listed under macs/ (partial answer)")
        }
        var validated = network.enis.map {
            ValidatedENI($0, isPrimary: $0.mac == network.primaryMAC, ipv6: config.ipv6, prefixes: config.prefixes != .off)
        }
        // Before anything else: a partial read holds this ENI's removals whether or not its link
        // is here or managed (docs/design.md §4.2).
        for eni in network.enis {
            if case .incomplete(let reason) = eni.completeness { heldENIs[eni.mac] = reason }
        }
        // Gateways that are addresses of this instance: a few gateways against every address.
        let gateways = Set(validated.flatMap { [$0.gateway4.map(IPAddress.v4), $0.gateway6.map(IPAddress.v6)].compactMap { $0 } })
        var local = Set<IPAddress>()
        if !gateways.isEmpty {
            func check(_ address: IPAddress) { if gateways.contains(address) { local.insert(address) } }
            for address in actual.addresses { check(address.address) }
            for eni in network.enis {
                eni.privateIPv4s.forEach { check(.v4($0)) }
                eni.ipv6s.forEach { check(.v6($0)) }
                eni.primaryIPv4.map { check(.v4($0)) }
            }
        }
        for i in validated.indices where !local.isEmpty { validated[i].refuseLocalGateways(local) }
        // A prefix goes to one ENI: two `local` routes for it would replace each other every
        // cycle, and its addresses would sit on two links. Metadata should never list one twice;
        // if it does, the ENI with the lowest MAC keeps it and the others are told.
        var owners: [IPPrefix: MACAddress] = [:]
        for eni in validated.sorted(by: { $0.eni.mac < $1.eni.mac }) {
            for prefix in eni.prefixes4 + eni.prefixes6 where owners[prefix] == nil { owners[prefix] = eni.eni.mac }
        }
        for i in validated.indices {
            let mac = validated[i].eni.mac
            for prefix in validated[i].prefixes4 + validated[i].prefixes6 where owners[prefix] != mac {
                let owner = network.eni(mac: owners[prefix]!)?.id ?? owners[prefix]!.description
                notes.append(PlanNote(.warning, eni: ENIRef(id: validated[i].eni.id, mac: mac, ifname: nil),
                                      "prefix \(prefix) is listed on both \(owner) and \(validated[i].name): configured for \(owner) only"))
            }
            validated[i].prefixes4.removeAll { owners[$0] != mac }
            validated[i].prefixes6.removeAll { owners[$0] != mac }
        }
        let untrusted = Set(heldENIs.keys).union(validated.filter { $0.firstRejected != nil }.map(\.eni.mac))
        let claims = AddressClaims(validated, primaryMAC: network.primaryMAC, untrusted: untrusted, actual: actual, links: links,
                                   ownership: ownership)
        self.claims = claims
        prefixOwner = owners
        notes += claims.notes
        var suppressFamilies: Set<IPFamily> = []
        // A prefix's address the agent put on another ENI's link whose read cannot say it let go
        // stays there, as a listed address does (AddressClaims).
        let heldLinks = Set(actual.links.filter { $0.mac.map(untrusted.contains) ?? false }.map(\.index))
        let staying = Set(actual.addresses.filter { heldLinks.contains($0.ifindex) && ownership.owns($0) }.map(\.key))
        for eni in validated {
            guard let link = place(eni) else { continue }
            add(eni, on: link, actual: actual, config: config, claims: claims, staying: staying, suppress: &suppressFamilies)
        }
        for family in IPFamily.allCases where suppressFamilies.contains(family) {
            let rule = Rule(family: family, priority: config.scheme.suppressPriority, table: RouteTable.main, suppressPrefixLength: 0)
            let ref = ENIRef(id: nil, mac: network.primaryMAC, ifname: nil)
            rules.append(Wanted(object: rule, reason: "main-table routes more specific than default win over ENI defaults", eni: ref))
        }
    }

    /// The ENI whose delegated prefix holds `address`, when prefixes' addresses are configured.
    func prefixOwner(of address: IPAddress, config: PlanConfig) -> MACAddress? {
        guard config.prefixes == .addresses else { return nil }
        return prefixOwner.first { $0.key.contains(address) }?.value
    }

    /// The link to configure `eni` on, or nil (with a note) when there is none to manage.
    private mutating func place(_ eni: ValidatedENI) -> Link? {
        let name = eni.name
        switch links.resolve(eni.eni.mac) {
        case .absent:
            notes.append(PlanNote(.info, eni: ENIRef(id: eni.eni.id, mac: eni.eni.mac, ifname: nil),
                                  "\(name) (\(eni.eni.mac)) has no link in this system yet"))
            return nil
        case .enslaved(let link, let master):
            handsOff.insert(link.index)
            let owner = master.map { "\($0.name)\($0.kind.map { " (\($0))" } ?? "")" } ?? "link \(link.master ?? 0)"
            notes.append(PlanNote(.warning, eni: ENIRef(id: eni.eni.id, mac: eni.eni.mac, ifname: link.name),
                                  "\(link.name) (\(name)) is enslaved to \(owner): left alone, neither configured nor cleaned up"))
            return nil
        case .ambiguous(let candidates):
            handsOff.formUnion(candidates.map(\.index))
            notes.append(PlanNote(.warning, eni: ENIRef(id: eni.eni.id, mac: eni.eni.mac, ifname: nil),
                                  "\(name) (\(eni.eni.mac)) is the MAC of \(candidates.map(\.name).joined(separator: " and ")): not knowing which is the ENI, none is touched"))
            return nil
        case .link(let link):
            eniOfLink[link.index] = eni.eni.mac
            if handsOff.contains(link.index) {
                notes.append(PlanNote(.info, eni: ENIRef(id: eni.eni.id, mac: eni.eni.mac, ifname: link.name),
                                      "\(link.name) (\(name)) is ignored by configuration"))
                return nil
            }
            return link
        }
    }

    private mutating func add(_ eni: ValidatedENI, on link: Link, actual: KernelState, config: PlanConfig, claims: AddressClaims,
                              staying: Set<AddressKey>,
                              suppress: inout Set<IPFamily>) {
        let name = eni.name
        let ref = ENIRef(id: eni.eni.id, mac: eni.eni.mac, ifname: link.name)
        // Where the policy routing goes; the primary ENI has none.
        var slot: Int32?
        if !eni.isPrimary {
            slot = config.scheme.slot(forLinkIndex: link.index)
            if slot == nil {
                notes.append(PlanNote(.warning, eni: ref, "\(link.name) (\(name)) has link index \(link.index), beyond the \(config.scheme.maxSlot) the routing tables allow; not managed (lower the table bases' spacing)"))
                return
            }
            if !link.isUp && config.bringUpLinks {
                linksUp.append(Wanted(object: link, reason: "\(name) is attached but its link is down", eni: ref))
            }
        }
        notes += eni.rejections.map { PlanNote(.warning, eni: ref, $0) }
        if let rejected = eni.firstRejected, heldENIs[eni.eni.mac] == nil { heldENIs[eni.eni.mac] = rejected }
        let v4 = eni.v4.filter { claims.belongs($0.address, to: eni.eni.mac) }
        let v6 = eni.v6.filter { claims.belongs($0.address, to: eni.eni.mac) }
        addAddresses(v4, v6, of: eni, on: link, ref: ref)
        let prefixes = eni.prefixes4 + eni.prefixes6
        if config.prefixes == .addresses {
            let elsewhere = Set(staying.filter { $0.ifindex != link.index }.map(\.address))
            addPrefixAddresses(excluding: v4, elsewhere: elsewhere, of: eni, on: link, claims: claims, ref: ref)
        }

        // The kernel refuses a route through a link that is down (ENETDOWN): with bring-up off,
        // a down link gets its addresses and rules now and its routes once somebody brings it
        // up (the daemon re-plans on the link-up event), instead of a failed op every cycle.
        let routable = link.isUp || (!eni.isPrimary && config.bringUpLinks)
        if !routable {
            notes.append(PlanNote(.info, eni: ref, "\(link.name) (\(name)) is down and bring-up is off: its routes wait until the link is up"))
        }
        if let slot {
            if routable { addRoutes(v4, v6, of: eni, on: link, slot: slot, config: config, ref: ref) }
            addSourceRules((v4 + v6).map { (.host($0.address), "\($0.address)", nil) } + prefixes.map { ($0, "prefix \($0)", $0) },
                           on: link, slot: slot, config: config, ref: ref)
            suppress.formUnion((v4 + v6 + prefixes).map(\.family))
        } else if routable {
            addPrimaryIPv6Default(v6, of: eni, on: link, actual: actual, ref: ref)
        }
        if config.prefixes == .local && routable { addLocalRoutes(prefixes, of: eni, on: link, ref: ref) }
        managed.append(ManagedENI(eni: ref, ifindex: link.index, isPrimary: eni.isPrimary,
                                  subnetTable: slot.map { config.scheme.subnetTable(slot: $0) },
                                  defaultTable: slot.map { config.scheme.defaultTable(slot: $0) },
                                  addresses: v4 + v6, prefixes: prefixes, complete: heldENIs[eni.eni.mac] == nil))
    }

    /// IPv4 with the vSwitch prefix length, IPv6 with `nodad`; on a secondary ENI with
    /// `noprefixroute` (no connected route in the main table).
    private mutating func addAddresses(_ v4: [IPPrefix], _ v6: [IPPrefix], of eni: ValidatedENI, on link: Link, ref: ENIRef) {
        let flags4: AddressFlags = eni.isPrimary ? [] : [.noPrefixRoute]
        let flags6: AddressFlags = eni.isPrimary ? [.noDAD] : [.noDAD, .noPrefixRoute]
        for prefix in v4 {
            let role = eni.isPrimary ? "secondary private IPv4 of primary ENI \(eni.name)"
                : (.v4(eni.eni.primaryIPv4 ?? IPv4Address(0)) == prefix.address ? "primary IPv4 of \(eni.name)" : "private IPv4 of \(eni.name)")
            addresses.append(Wanted(object: Address(ifindex: link.index, ifname: link.name, prefix: prefix, flags: flags4,
                                                    proto: eniAgentProtocol), reason: role, eni: ref))
        }
        for prefix in v6 {
            addresses.append(Wanted(object: Address(ifindex: link.index, ifname: link.name, prefix: prefix, flags: flags6,
                                                    proto: eniAgentProtocol), reason: "IPv6 of \(eni.name)", eni: ref))
        }
    }

    /// A secondary ENI's two tables (docs/design.md §3).
    private mutating func addRoutes(_ v4: [IPPrefix], _ v6: [IPPrefix], of eni: ValidatedENI, on link: Link, slot: Int32,
                                    config: PlanConfig, ref: ENIRef) {
        let name = eni.name
        let subnetTable = config.scheme.subnetTable(slot: slot)
        let defaultTable = config.scheme.defaultTable(slot: slot)
        func route(_ route: Route, _ reason: String) { routes.append(Wanted(object: route, reason: reason, eni: ref)) }
        if let subnet = eni.eni.ipv4Subnet, let primary = eni.eni.primaryIPv4, v4.contains(where: { $0.address == .v4(primary) }) {
            route(Route(table: subnetTable, destination: subnet.network, ifindex: link.index, ifname: link.name,
                        preferredSource: .v4(primary), scope: .link), "vSwitch subnet of \(name)")
        }
        if let gateway = eni.gateway4, !v4.isEmpty || !eni.prefixes4.isEmpty {
            route(Route(table: defaultTable, destination: .defaultRoute(.v4), gateway: .v4(gateway), ifindex: link.index,
                        ifname: link.name, onlink: true), "default route of \(name)")
        }
        let subnets6 = eni.subnets6.filter { subnet in (v6.map(\.address) + eni.prefixes6.map(\.address)).contains { subnet.contains($0) } }
        for subnet in subnets6 {
            let source = v6.first { subnet.contains($0.address) }?.address
            route(Route(table: subnetTable, destination: subnet, ifindex: link.index, ifname: link.name, preferredSource: source),
                  "IPv6 vSwitch subnet of \(name)")
        }
        // Without `onlink` the kernel wants a route to the gateway in the table: one of the
        // subnets kept here must hold it (without vswitch-ipv6-cidr-block, the /64 of an address
        // or prefix given to another ENI may have been the one that did).
        if let gateway = eni.gateway6, !v6.isEmpty || !eni.prefixes6.isEmpty,
           IPAddress.v6(gateway).isLinkLocal || subnets6.contains(where: { $0.contains(.v6(gateway)) }) {
            // IPv6 checks an `onlink` gateway against the main table, where the primary ENI's
            // route to a shared /64 names another device ("device mismatch"). Without onlink
            // the kernel checks the route's own table: so that table gets the /64 first. A
            // link-local gateway needs neither: it is on-link by definition.
            if !IPAddress.v6(gateway).isLinkLocal {
                for subnet in subnets6 {
                    route(Route(table: defaultTable, destination: subnet, ifindex: link.index, ifname: link.name),
                          "IPv6 vSwitch subnet of \(name), for its gateway")
                }
            }
            route(Route(table: defaultTable, destination: .defaultRoute(.v6), gateway: .v6(gateway), ifindex: link.index,
                        ifname: link.name), "IPv6 default route of \(name)")
        }
    }

    /// Per source, a rule into each of the ENI's tables at that table's priority, so that
    /// traffic from it leaves through the ENI: an address's own (`from` the host address), or a
    /// delegated prefix's (a pod's, a NAT's; `prefix` set, for the `PREFIX` log field).
    private mutating func addSourceRules(_ sources: [(from: IPPrefix, shown: String, prefix: IPPrefix?)], on link: Link, slot: Int32,
                                         config: PlanConfig, ref: ENIRef) {
        let subnetTable = config.scheme.subnetTable(slot: slot)
        let defaultTable = config.scheme.defaultTable(slot: slot)
        for source in sources {
            rules.append(Wanted(object: Rule(family: source.from.family, priority: subnetTable, source: source.from, table: subnetTable),
                                reason: "traffic from \(source.shown) to its vSwitch leaves through \(link.name)", eni: ref,
                                prefix: source.prefix))
            rules.append(Wanted(object: Rule(family: source.from.family, priority: defaultTable, source: source.from, table: defaultTable),
                                reason: "traffic from \(source.shown) leaves through \(link.name)", eni: ref, prefix: source.prefix))
        }
    }

    /// `ENI_AGENT_PREFIXES=addresses`: every address of each IPv4 prefix, configured as the
    /// ENI's other IPv4 addresses are (vSwitch length; `noprefixroute` on a secondary ENI), up to
    /// `PrefixMode.maxAddressesPerENI`. An address listed on another ENI stays that ENI's.
    private mutating func addPrefixAddresses(excluding v4: [IPPrefix], elsewhere: Set<IPAddress>, of eni: ValidatedENI, on link: Link,
                                             claims: AddressClaims, ref: ENIRef) {
        guard let subnet = eni.eni.ipv4Subnet else { return }
        let flags: AddressFlags = eni.isPrimary ? [] : [.noPrefixRoute]
        var seen = Set(v4.map(\.address))
        var added = 0
        var skipped = 0
        for prefix in eni.prefixes4 {
            guard case .v4(let first) = prefix.address else { continue }
            for offset in 0..<(UInt32(1) << UInt32(32 - prefix.length)) {
                let address = IPAddress.v4(IPv4Address(first.value + offset))
                guard claims.belongs(address, to: eni.eni.mac), !elsewhere.contains(address), seen.insert(address).inserted else { continue }
                guard added < PrefixMode.maxAddressesPerENI else {
                    skipped += 1
                    continue
                }
                added += 1
                addresses.append(Wanted(object: Address(ifindex: link.index, ifname: link.name,
                                                        prefix: IPPrefix(address: address, length: subnet.length)!,
                                                        flags: flags, proto: eniAgentProtocol),
                                        reason: "address of prefix \(prefix) of \(eni.name)", eni: ref, prefix: prefix))
            }
        }
        if skipped > 0 {
            notes.append(PlanNote(.warning, eni: ref, "\(eni.name): \(skipped) addresses of its IPv4 prefixes not configured: more than \(PrefixMode.maxAddressesPerENI)"))
        }
    }

    /// `ENI_AGENT_PREFIXES=local`: the host answers for every address of each prefix (AnyIP).
    /// The kernel reports an IPv6 route's scope as universe whatever it was given.
    private mutating func addLocalRoutes(_ prefixes: [IPPrefix], of eni: ValidatedENI, on link: Link, ref: ENIRef) {
        for prefix in prefixes {
            routes.append(Wanted(object: Route(table: RouteTable.local, destination: prefix, type: .local, ifindex: link.index,
                                               ifname: link.name, scope: prefix.family == .v4 ? .host : .universe),
                                 reason: "this host answers for prefix \(prefix) of \(eni.name)", eni: ref, prefix: prefix))
        }
    }

    /// The primary ENI: an IPv6 default route in main, only where nobody else made one.
    private mutating func addPrimaryIPv6Default(_ v6: [IPPrefix], of eni: ValidatedENI, on link: Link, actual: KernelState,
                                                ref: ENIRef) {
        guard let gateway = eni.gateway6, !v6.isEmpty else { return }
        let defaults = actual.routes.filter { $0.table == RouteTable.main && $0.family == .v6 && $0.destination.isDefault && $0.type == .unicast }
        guard defaults.isEmpty || defaults.contains(where: { $0.proto == eniAgentProtocol }) else { return }
        routes.append(Wanted(object: Route(table: RouteTable.main, destination: .defaultRoute(.v6), gateway: .v6(gateway),
                                           ifindex: link.index, ifname: link.name, onlink: !IPAddress.v6(gateway).isLinkLocal),
                             reason: "the main table had no IPv6 default route", eni: ref))
    }
}
