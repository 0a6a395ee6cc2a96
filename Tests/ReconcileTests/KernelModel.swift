// SPDX-License-Identifier: Apache-2.0
import Model

/// A model of the kernel's rtnetlink semantics, as far as the planner's ops go: what
/// `Netlink.apply` would do, without a kernel. The integration tests check the real thing; the
/// behaviour modelled here was checked on Linux 6.18 with iproute2 (see each case).
struct KernelModel {
    var state: KernelState
    /// Whether the kernel keeps `IFA_PROTO` (Linux 6.1+). Without it an address loses its mark
    /// and only the state file's record says it is the agent's.
    var marksAddresses = true

    init(state: KernelState, marksAddresses: Bool = true) {
        self.state = state
        self.marksAddresses = marksAddresses
        if !marksAddresses {
            for i in self.state.addresses.indices { self.state.addresses[i].proto = nil }
        }
    }

    static let enodev: OpOutcome = .failed(errno: 19, message: "No such device")
    static let einval: OpOutcome = .failed(errno: 22, message: "Invalid argument")
    static let enetdown: OpOutcome = .failed(errno: 100, message: "Network is down")
    static let ehostunreach: OpOutcome = .failed(errno: 113, message: "No route to host")

    /// Applies ops in order with the kernel's idempotence outcomes; returns one result per op.
    mutating func apply(_ ops: [Op]) -> [OpResult] {
        ops.map { OpResult(op: $0, outcome: apply($0)) }
    }

    private mutating func apply(_ op: Op) -> OpOutcome {
        switch op {
        case .setLinkUp(let index, _):
            guard let i = state.links.firstIndex(where: { $0.index == index }) else { return Self.enodev }
            state.links[i].isUp = true
            return .applied
        case .addAddress(let a):
            return add(a)
        case .removeAddress(let a):
            return remove(a)
        case .addRoute(let r, let replace):
            if let refused = refuses(r) { return refused }
            if let i = state.routes.firstIndex(where: { $0.key == r.key }) {
                guard replace else { return .alreadyInPlace }
                state.routes[i] = r
                return .applied
            }
            state.routes.append(r)
            return .applied
        case .removeRoute(let r):
            guard let i = state.routes.firstIndex(where: { $0.key == r.key }) else { return .alreadyInPlace }
            state.routes.remove(at: i)
            return .applied
        case .addRule(let r):
            if state.rules.contains(where: { $0.key == r.key }) { return .alreadyInPlace }
            state.rules.append(r)
            return .applied
        case .removeRule(let r):
            guard let i = state.rules.firstIndex(where: { $0.key == r.key }) else { return .alreadyInPlace }
            state.rules.remove(at: i)
            return .applied
        }
    }

    /// An IPv4 address in the subnet (same prefix length, same network) of a primary already on
    /// the link becomes a secondary (`ip addr` shows "secondary").
    private mutating func add(_ a: Address) -> OpOutcome {
        guard state.link(index: a.ifindex) != nil else { return Self.enodev }
        if state.addresses.contains(where: { $0.key == a.key }) { return .alreadyInPlace }
        var added = a
        added.flags.remove(.secondary)
        if !marksAddresses { added.proto = nil }
        let present = state.addresses
        if a.family == .v4, present.contains(where: { sameSubnet($0, a) && !$0.flags.contains(.secondary) }) {
            added.flags.insert(.secondary)
        }
        state.addresses.append(added)
        return .applied
    }

    /// Deleting the primary of a subnet deletes its secondaries with it, unless the link has
    /// promote_secondaries (nil: not reported, the kernel default 0); then the first secondary
    /// becomes the primary.
    private mutating func remove(_ a: Address) -> OpOutcome {
        guard let i = state.addresses.firstIndex(where: { $0.key == a.key }) else { return .alreadyInPlace }
        let removed = state.addresses.remove(at: i)
        guard removed.family == .v4, !removed.flags.contains(.secondary) else { return .applied }
        let present = state.addresses
        if state.link(index: removed.ifindex)?.promotesSecondaries == true {
            if let next = present.firstIndex(where: { sameSubnet($0, removed) }) { state.addresses[next].flags.remove(.secondary) }
        } else {
            state.addresses = present.filter { !sameSubnet($0, removed) }
        }
        return .applied
    }

    private func sameSubnet(_ a: Address, _ b: Address) -> Bool {
        a.ifindex == b.ifindex && a.family == .v4 && b.family == .v4 && a.prefix.length == b.prefix.length
            && b.prefix.network.contains(a.address)
    }

    /// What the kernel refuses in a route: a missing link (ENODEV), a link that is down
    /// ("Nexthop device is not up", ENETDOWN), an IPv4 gateway that is a local address ("Nexthop
    /// has invalid gateway", EINVAL), an IPv6 gateway other than link-local without `onlink` and
    /// with no route to it on that link, in the route's table or main (EHOSTUNREACH).
    private func refuses(_ r: Route) -> OpOutcome? {
        guard let index = r.ifindex else { return nil }
        guard let link = state.link(index: index) else { return Self.enodev }
        guard link.isUp else { return Self.enetdown }
        switch r.gateway {
        case .v4(let gateway)?:
            if state.addresses.contains(where: { $0.address == .v4(gateway) }) { return Self.einval }
        case .v6(let gateway)?:
            let address = IPAddress.v6(gateway)
            guard !address.isLinkLocal, !r.onlink else { return nil }
            let reachable = state.routes.contains {
                ($0.table == r.table || $0.table == RouteTable.main) && $0.ifindex == index && $0.gateway == nil
                    && !$0.destination.isDefault && $0.destination.contains(address)
            }
            if !reachable { return Self.ehostunreach }
        case nil:
            break
        }
        return nil
    }

    /// Somebody else (DHCP, an administrator) adds an address: no mark, the kernel's flags.
    mutating func addForeign(_ a: Address) {
        var foreign = a
        foreign.proto = nil
        _ = add(foreign)
    }

    /// A link goes away: the kernel drops its addresses and every route through it.
    mutating func removeLink(index: Int32) {
        state.links.removeAll { $0.index == index }
        state.addresses.removeAll { $0.ifindex == index }
        state.routes.removeAll { $0.ifindex == index }
    }

    /// The link is deleted and comes back (a driver reload, a detach and attach) with the same
    /// MAC and name under a new index, down and bare.
    mutating func recreateLink(index: Int32, as newIndex: Int32) {
        guard var link = state.link(index: index) else { return }
        removeLink(index: index)
        link.index = newIndex
        link.isUp = false
        state.links.append(link)
    }

    /// The link is taken down: the kernel flushes the routes through it.
    mutating func setLinkDown(index: Int32) {
        guard let i = state.links.firstIndex(where: { $0.index == index }) else { return }
        state.links[i].isUp = false
        state.routes.removeAll { $0.ifindex == index }
    }

    /// The link is renamed: same index, same objects.
    mutating func rename(index: Int32, to name: String) {
        for i in state.links.indices where state.links[i].index == index { state.links[i].name = name }
        for i in state.addresses.indices where state.addresses[i].ifindex == index { state.addresses[i].ifname = name }
        for i in state.routes.indices where state.routes[i].ifindex == index { state.routes[i].ifname = name }
    }

    var macs: [Int32: MACAddress] {
        Dictionary(state.links.compactMap { link in link.mac.map { (link.index, $0) } }, uniquingKeysWith: { a, _ in a })
    }
}
