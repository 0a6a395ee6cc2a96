import Model

/// A kernel object the metadata asks for, with why and for which ENI.
struct Wanted<Object: Sendable>: Sendable {
    var object: Object
    var reason: String
    var eni: ENIRef
}

/// docs/design.md §3 as data: what the kernel should hold for this metadata, whatever it holds
/// now. Validation (section 4.6) happens here: a rejected value is never wanted and makes its
/// ENI incomplete, so that bad metadata can add what is certain but remove nothing.
struct Desired {
    var linksUp: [Wanted<Link>] = []
    var addresses: [Wanted<Address>] = []
    var routes: [Wanted<Route>] = []
    var rules: [Wanted<Rule>] = []
    var notes: [PlanNote] = []
    var managed: [ManagedENI] = []
    /// Why removals are not allowed this cycle; empty when they are.
    var holdReasons: [String] = []
    /// Link indexes the agent must not look at (ignored by configuration).
    var ignoredLinks: Set<Int32> = []

    init(network: InstanceNetwork?, actual: KernelState, config: PlanConfig) {
        for link in actual.links where config.ignored.matches(name: link.name, mac: link.mac) {
            ignoredLinks.insert(link.index)
        }
        guard let network else {
            holdReasons.append("no metadata has been read")
            return
        }
        if network.eni(mac: network.primaryMAC) == nil {
            holdReasons.append("the primary ENI \(network.primaryMAC) is not listed under macs/ (partial answer)")
        }
        var suppressFamilies: Set<IPFamily> = []
        for eni in network.enis {
            let isPrimary = eni.mac == network.primaryMAC
            add(eni, isPrimary: isPrimary, actual: actual, config: config, suppress: &suppressFamilies)
        }
        for family in IPFamily.allCases where suppressFamilies.contains(family) {
            let rule = Rule(family: family, priority: config.scheme.suppressPriority, table: RouteTable.main,
                            suppressPrefixLength: 0)
            let ref = ENIRef(id: nil, mac: network.primaryMAC, ifname: nil)
            rules.append(Wanted(object: rule, reason: "main-table routes more specific than default win over ENI defaults", eni: ref))
        }
    }

    private mutating func add(_ eni: ENI, isPrimary: Bool, actual: KernelState, config: PlanConfig,
                              suppress: inout Set<IPFamily>) {
        let name = eni.id ?? eni.mac.description
        // Before anything else: a partial read holds removals back whether or not this ENI's
        // link is here or managed (docs/design.md §4.2).
        if case .incomplete(let reason) = eni.completeness {
            holdReasons.append("\(name): \(reason)")
        }
        guard let link = actual.link(mac: eni.mac) else {
            notes.append(PlanNote(.info, eni: ENIRef(id: eni.id, mac: eni.mac, ifname: nil),
                                  "\(name) (\(eni.mac)) has no link in this system yet"))
            return
        }
        let ref = ENIRef(id: eni.id, mac: eni.mac, ifname: link.name)
        if ignoredLinks.contains(link.index) {
            notes.append(PlanNote(.info, eni: ref, "\(link.name) (\(name)) is ignored by configuration"))
            return
        }
        var complete = eni.completeness.isComplete
        func reject(_ key: String, _ value: String, _ why: String) {
            notes.append(PlanNote(.warning, eni: ref, "\(name) \(key) \(value.prefix(200)) rejected: \(why); not applied"))
            holdReasons.append("\(name): \(key) \(value.prefix(200)) rejected")
            complete = false
        }

        // Where the policy routing goes; the primary ENI has none.
        var slot: Int32?
        if !isPrimary {
            slot = config.scheme.slot(forLinkIndex: link.index)
            if slot == nil {
                notes.append(PlanNote(.warning, eni: ref, "\(link.name) (\(name)) has link index \(link.index), beyond the \(config.scheme.maxSlot) the routing tables allow; not managed (lower the table bases' spacing)"))
                return
            }
            if !link.isUp && config.bringUpLinks {
                linksUp.append(Wanted(object: link, reason: "\(name) is attached but its link is down", eni: ref))
            }
        }

        // IPv4.
        var v4: [IPPrefix] = []
        if let subnet = eni.ipv4Subnet {
            var candidates = eni.privateIPv4s
            if let primary = eni.primaryIPv4 {
                candidates.removeAll { $0 == primary }
                if isPrimary {
                    if !subnet.contains(.v4(primary)) { reject("primary-ip-address", "\(primary)", "outside vSwitch \(subnet.network)") }
                } else {
                    candidates.insert(primary, at: 0)
                }
            }
            for address in candidates {
                if let why = Self.invalidHost(.v4(address), in: subnet) {
                    reject("private-ipv4s", "\(address)", why)
                } else {
                    v4.append(IPPrefix(address: .v4(address), length: subnet.length)!)
                }
            }
        } else if !eni.privateIPv4s.isEmpty {
            notes.append(PlanNote(.warning, eni: ref, "\(name) has no vswitch-cidr-block or netmask: its IPv4 prefix length is unknown, IPv4 addresses not applied"))
            complete = false
            holdReasons.append("\(name): vSwitch IPv4 CIDR unknown")
        }
        var gateway4: IPv4Address?
        if let gateway = eni.gateway, let subnet = eni.ipv4Subnet {
            if let why = Self.invalidHost(.v4(gateway), in: subnet) { reject("gateway", "\(gateway)", why) } else { gateway4 = gateway }
        }

        // IPv6.
        var v6: [IPPrefix] = []
        var gateway6: IPv6Address?
        var subnets6: [IPPrefix] = []
        if config.ipv6 {
            for address in eni.ipv6s {
                let subnet = eni.ipv6Subnet ?? IPPrefix(address: .v6(address), length: 64)!.network
                if let why = Self.invalidHost(.v6(address), in: subnet) {
                    reject("ipv6s", "\(address)", why)
                    continue
                }
                v6.append(IPPrefix(address: .v6(address), length: subnet.length)!)
                if !subnets6.contains(subnet.network) { subnets6.append(subnet.network) }
            }
            if let gateway = eni.ipv6Gateway {
                let subnet = eni.ipv6Subnet ?? subnets6.first
                if let subnet, let why = Self.invalidHost(.v6(gateway), in: subnet) {
                    reject("ipv6-gateway", "\(gateway)", why)
                } else {
                    gateway6 = gateway
                }
            }
        }

        // The kernel refuses a route through a link that is down (ENETDOWN): with bring-up off,
        // a down link gets its addresses and rules now and its routes once somebody brings it
        // up (the daemon re-plans on the link-up event), instead of a failed op every cycle.
        let routable = link.isUp || (!isPrimary && config.bringUpLinks)
        if !routable {
            notes.append(PlanNote(.info, eni: ref, "\(link.name) (\(name)) is down and bring-up is off: its routes wait until the link is up"))
        }

        let flags4: AddressFlags = isPrimary ? [] : [.noPrefixRoute]
        let flags6: AddressFlags = isPrimary ? [.noDAD] : [.noDAD, .noPrefixRoute]
        for prefix in v4 {
            let role = isPrimary ? "secondary private IPv4 of primary ENI \(name)"
                : (.v4(eni.primaryIPv4 ?? IPv4Address(0)) == prefix.address ? "primary IPv4 of \(name)" : "private IPv4 of \(name)")
            addresses.append(Wanted(object: Address(ifindex: link.index, ifname: link.name, prefix: prefix, flags: flags4,
                                                    proto: eniAgentProtocol), reason: role, eni: ref))
        }
        for prefix in v6 {
            addresses.append(Wanted(object: Address(ifindex: link.index, ifname: link.name, prefix: prefix, flags: flags6,
                                                    proto: eniAgentProtocol), reason: "IPv6 of \(name)", eni: ref))
        }

        if let slot {
            let subnetTable = config.scheme.subnetTable(slot: slot)
            let defaultTable = config.scheme.defaultTable(slot: slot)
            let routesBefore = routes.count
            if let subnet = eni.ipv4Subnet, let primary = eni.primaryIPv4, v4.contains(where: { $0.address == .v4(primary) }) {
                routes.append(Wanted(object: Route(table: subnetTable, destination: subnet.network, ifindex: link.index,
                                                   ifname: link.name, preferredSource: .v4(primary), scope: .link),
                                     reason: "vSwitch subnet of \(name)", eni: ref))
            }
            if let gateway4, !v4.isEmpty {
                routes.append(Wanted(object: Route(table: defaultTable, destination: .defaultRoute(.v4), gateway: .v4(gateway4),
                                                   ifindex: link.index, ifname: link.name, onlink: true),
                                     reason: "default route of \(name)", eni: ref))
            }
            for subnet in subnets6 {
                let source = v6.first { subnet.contains($0.address) }?.address
                routes.append(Wanted(object: Route(table: subnetTable, destination: subnet, ifindex: link.index,
                                                   ifname: link.name, preferredSource: source),
                                     reason: "IPv6 vSwitch subnet of \(name)", eni: ref))
            }
            if let gateway6, !v6.isEmpty {
                // IPv6 checks an `onlink` gateway against the main table, where the primary ENI's
                // route to a shared /64 names another device ("device mismatch"). Without onlink
                // the kernel checks the route's own table: so that table gets the /64 first.
                for subnet in subnets6 {
                    routes.append(Wanted(object: Route(table: defaultTable, destination: subnet, ifindex: link.index, ifname: link.name),
                                         reason: "IPv6 vSwitch subnet of \(name), for its gateway", eni: ref))
                }
                routes.append(Wanted(object: Route(table: defaultTable, destination: .defaultRoute(.v6), gateway: .v6(gateway6),
                                                   ifindex: link.index, ifname: link.name),
                                     reason: "IPv6 default route of \(name)", eni: ref))
            }
            if !routable { routes.removeSubrange(routesBefore...) }
            for prefix in v4 + v6 {
                let from = IPPrefix.host(prefix.address)
                rules.append(Wanted(object: Rule(family: prefix.family, priority: subnetTable, source: from, table: subnetTable),
                                    reason: "traffic from \(prefix.address) to its vSwitch leaves through \(link.name)", eni: ref))
                rules.append(Wanted(object: Rule(family: prefix.family, priority: defaultTable, source: from, table: defaultTable),
                                    reason: "traffic from \(prefix.address) leaves through \(link.name)", eni: ref))
                suppress.insert(prefix.family)
            }
        } else if let gateway6, !v6.isEmpty, routable {
            // The primary ENI: an IPv6 default route in main, only where nobody else made one.
            let defaults = actual.routes.filter { $0.table == RouteTable.main && $0.family == .v6 && $0.destination.isDefault && $0.type == .unicast }
            if defaults.isEmpty || defaults.contains(where: { $0.proto == eniAgentProtocol }) {
                routes.append(Wanted(object: Route(table: RouteTable.main, destination: .defaultRoute(.v6), gateway: .v6(gateway6),
                                                   ifindex: link.index, ifname: link.name, onlink: true),
                                     reason: "the main table had no IPv6 default route", eni: ref))
            }
        }

        managed.append(ManagedENI(eni: ref, ifindex: link.index, isPrimary: isPrimary,
                                  subnetTable: slot.map { config.scheme.subnetTable(slot: $0) },
                                  defaultTable: slot.map { config.scheme.defaultTable(slot: $0) },
                                  addresses: v4 + v6, complete: complete))
    }

    /// Why an address cannot be a host address of `subnet`, or nil when it can.
    static func invalidHost(_ address: IPAddress, in subnet: IPPrefix) -> String? {
        guard subnet.contains(address) else { return "outside vSwitch \(subnet.network)" }
        switch address {
        case .v4(let a):
            let network = subnet.network.address
            if subnet.length <= 30 {
                if address == network { return "the vSwitch's network address" }
                let hostMask: UInt32 = subnet.length == 0 ? ~0 : ~(~UInt32(0) << UInt32(32 - subnet.length))
                if a.value & hostMask == hostMask { return "the vSwitch's broadcast address" }
            }
            if a.value >> 24 == 127 || a.value >> 28 == 0xe || a.value == 0 { return "not a unicast host address" }
        case .v6(let a):
            if a.high >> 56 == 0xff || (a.high >> 54) == 0x3fa || (a.high == 0 && a.low <= 1) {
                return "not a global unicast address"
            }
        }
        return nil
    }
}
