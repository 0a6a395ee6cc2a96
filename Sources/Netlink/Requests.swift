// SPDX-License-Identifier: Apache-2.0
import CNetlink
import Model
#if canImport(Glibc)
import Glibc
#endif

/// `Op` → an rtnetlink request, built by libnl-route from its objects (`rtnl_*_build_*_request`).
/// Attributes that libnl 3.4 (the oldest the agent runs with: EL 8, Debian 11, Ubuntu 20.04)
/// cannot set are appended to the built message by hand, each place saying so.
enum Requests {
    /// nil only when memory runs out (or libnl refuses an object it should not).
    static func message(for op: Op) -> OpaquePointer? {
        switch op {
        case .setLinkUp(let index, _):
            return linkUp(index)
        case .addAddress(let a):
            return address(a, remove: false)
        case .removeAddress(let a):
            return address(a, remove: true)
        case .addRoute(let r, let replace):
            return route(r, remove: false, flags: replace ? NLM_F_REPLACE : NLM_F_EXCL)
        case .removeRoute(let r):
            return route(r, remove: true, flags: 0)
        case .addRule(let r):
            return rule(r, remove: false)
        case .removeRule(let r):
            return rule(r, remove: true)
        }
    }

    private static func linkUp(_ index: Int32) -> OpaquePointer? {
        guard let orig = rtnl_link_alloc(), let changes = rtnl_link_alloc() else { return nil }
        defer {
            rtnl_link_put(orig)
            rtnl_link_put(changes)
        }
        rtnl_link_set_ifindex(orig, index)
        rtnl_link_set_flags(changes, UInt32(IFF_UP.rawValue))
        var msg: OpaquePointer?
        return rtnl_link_build_change_request(orig, changes, 0, &msg) == 0 ? msg : nil
    }

    private static func address(_ a: Address, remove: Bool) -> OpaquePointer? {
        guard let addr = rtnl_addr_alloc() else { return nil }
        defer { rtnl_addr_put(addr) }
        rtnl_addr_set_ifindex(addr, a.ifindex)
        rtnl_addr_set_family(addr, Int32(family(a.family)))
        guard let local = nlAddress(a.address, prefixLength: a.prefix.length) else { return nil }
        defer { nl_addr_put(local) }
        // libnl sends the local address as IFA_LOCAL and IFA_ADDRESS, and IFA_FLAGS when a flag
        // above the header's eight bits (noprefixroute) is set.
        guard rtnl_addr_set_local(addr, local) == 0 else { return nil }
        var msg: OpaquePointer?
        if remove {
            return rtnl_addr_build_delete_request(addr, 0, &msg) == 0 ? msg : nil
        }
        rtnl_addr_set_flags(addr, a.flags.rawValue)
        guard rtnl_addr_build_add_request(addr, NLM_F_EXCL, &msg) == 0, let msg else { return nil }
        // IFA_PROTO by hand: no libnl release can set an address's protocol. Not sent under
        // the test switch that makes this kernel look like an older one (`AddressMarks`).
        if let proto = a.proto, !AddressMarks.ignored, nla_put_u8(msg, Int32(IFA_PROTO), proto) != 0 {
            nlmsg_free(msg)
            return nil
        }
        return msg
    }

    private static func route(_ r: Route, remove: Bool, flags: Int32) -> OpaquePointer? {
        guard let route = rtnl_route_alloc() else { return nil }
        defer { rtnl_route_put(route) }
        _ = rtnl_route_set_family(route, family(r.family))
        // libnl also puts the table into the header, truncated to 8 bits; the kernel takes
        // RTA_TABLE, which libnl always sends, over it.
        rtnl_route_set_table(route, r.table)
        rtnl_route_set_protocol(route, r.proto)
        _ = rtnl_route_set_type(route, r.type.rawValue)
        // A delete matches whatever scope the route has.
        rtnl_route_set_scope(route, remove ? UInt8(RT_SCOPE_NOWHERE.rawValue) : r.scope.rawValue)
        // A default route's destination is an empty address of the family: no RTA_DST.
        let dst = r.destination.length > 0
            ? nlAddress(r.destination.network.address, prefixLength: r.destination.length)
            : nl_addr_build(Int32(family(r.family)), nil, 0)
        guard let dst else { return nil }
        defer { nl_addr_put(dst) }
        nl_addr_set_prefixlen(dst, Int32(r.destination.length))
        guard rtnl_route_set_dst(route, dst) == 0 else { return nil }
        if let source = r.preferredSource {
            guard let src = nlAddress(source, prefixLength: source.bitWidth) else { return nil }
            defer { nl_addr_put(src) }
            guard rtnl_route_set_pref_src(route, src) == 0 else { return nil }
        }
        if let metric = r.metric { rtnl_route_set_priority(route, metric) }
        if r.ifindex != nil || r.gateway != nil {
            guard let nh = rtnl_route_nh_alloc() else { return nil }
            if let index = r.ifindex { rtnl_route_nh_set_ifindex(nh, index) }
            if let gateway = r.gateway {
                guard let gw = nlAddress(gateway, prefixLength: gateway.bitWidth) else {
                    rtnl_route_nh_free(nh)
                    return nil
                }
                rtnl_route_nh_set_gateway(nh, gw)
                nl_addr_put(gw)
            }
            if r.onlink { rtnl_route_nh_set_flags(nh, UInt32(RTNH_F_ONLINK)) }
            rtnl_route_add_nexthop(route, nh)  // the route owns it from here
        }
        var msg: OpaquePointer?
        let rc = remove ? rtnl_route_build_del_request(route, flags, &msg) : rtnl_route_build_add_request(route, flags, &msg)
        return rc == 0 ? msg : nil
    }

    private static func rule(_ r: Rule, remove: Bool) -> OpaquePointer? {
        guard let rule = rtnl_rule_alloc() else { return nil }
        defer { rtnl_rule_put(rule) }
        rtnl_rule_set_family(rule, Int32(family(r.family)))
        rtnl_rule_set_prio(rule, r.priority)
        // As for routes: FRA_TABLE, always sent, wins over the header's 8 bits.
        rtnl_rule_set_table(rule, r.table)
        rtnl_rule_set_action(rule, r.action.rawValue)
        if let source = r.source, source.length > 0 {
            guard let src = nlAddress(source.address, prefixLength: source.length) else { return nil }
            defer { nl_addr_put(src) }
            guard rtnl_rule_set_src(rule, src) == 0 else { return nil }
        }
        var msg: OpaquePointer?
        let rc = remove ? rtnl_rule_build_delete_request(rule, 0, &msg) : rtnl_rule_build_add_request(rule, NLM_F_EXCL, &msg)
        guard rc == 0, let msg else { return nil }
        // By hand: FRA_PROTOCOL (rtnl_rule_set_protocol is libnl 3.5+) and
        // FRA_SUPPRESS_PREFIXLEN (no libnl release sets it).
        guard nla_put_u8(msg, Int32(FRA_PROTOCOL), r.proto) == 0,
              r.suppressPrefixLength.map({ nla_put_u32(msg, Int32(FRA_SUPPRESS_PREFIXLEN), $0) == 0 }) ?? true else {
            nlmsg_free(msg)
            return nil
        }
        return msg
    }

    /// A libnl address (the caller puts it) of `ip` with `prefixLength`.
    private static func nlAddress(_ ip: IPAddress, prefixLength: UInt8) -> OpaquePointer? {
        let bytes = ip.bytes
        guard let addr = bytes.withUnsafeBytes({ nl_addr_build(Int32(family(ip.family)), $0.baseAddress, $0.count) }) else { return nil }
        nl_addr_set_prefixlen(addr, Int32(prefixLength))
        return addr
    }

    static func family(_ family: IPFamily) -> UInt8 {
        family == .v4 ? UInt8(AF_INET) : UInt8(AF_INET6)
    }
}
